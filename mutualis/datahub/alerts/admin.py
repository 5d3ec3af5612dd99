"""Alert rules in the back-office: operator staff read them, operator admins edit them
(`mutualis.people.roles.BACKOFFICE_PERMISSIONS`: desk agents, technicians and supervisors
have "view" on the hub's models). The states show where each sensor stands, read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.choices import ScopedRelatedFilter, choices
from mutualis.backoffice.site import ReadOnlyAdmin, ScopedAdmin
from mutualis.lib.wording import labelled
from mutualis.registry.models import Operator
from mutualis.servicedesk.models import IncidentType

from .. import smart_data_models as sdm
from ..models import AlertRule, AlertState
from ..models.alerts import RECOVERY_MINUTES_MAX, RECOVERY_MINUTES_MIN
from ..territory.labels import attribute_label, code_label
from .rules import save_rule


def _type_choices() -> list[tuple[str, str]]:
    # In words for the reader, with SDM's code in brackets: the technician meets the code
    # in the sensors' messages and in the API.
    return [(t.iri, _type_label(t)) for t in sdm.SDM_TYPES]


def _type_label(sdm_type: sdm.SdmType) -> str:
    return _coded(str(sdm_type.description).rstrip("."), sdm_type.name)


def _coded(words: str, code: str) -> str:
    return words if words == code else f"{words} ({code})"


def _attribute_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    # Grouped by type; the same IRI (status, location) appears under each type that has it,
    # and the rule's own validation checks the pair. An enumeration's values keep their
    # codes beside their words: a state rule's "alerting values" are typed as codes.
    groups = []
    for sdm_type in sdm.SDM_TYPES:
        options = []
        for attribute in sdm_type.observed:
            code = attribute.name + (f", {attribute.unit_symbol}" if attribute.unit_symbol else "")
            label = _coded(attribute_label(attribute.name), code)
            if attribute.values:
                values = ", ".join(_coded(code_label(value), value) for value in attribute.values)
                label = labelled(label, values)
            options.append((attribute.iri, label))
        groups.append((_type_label(sdm_type), options))
    return groups


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "operator",
            "name",
            "is_active",
            "entity_type",
            "attribute",
            "kind",
            "comparison",
            "threshold",
            "clear_value",
            "recovery_minutes",
            "aggregation",
            "for_minutes",
            "state_values",
            "silence_minutes",
            "incident_type",
            "priority",
            "resolve_when_clear",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entity_type"] = forms.ChoiceField(
            label=capfirst(_("type of sensor")), choices=[("", "---------"), *_type_choices()]
        )
        self.fields["attribute"] = forms.ChoiceField(
            label=capfirst(_("attribute")), choices=[("", "---------"), *_attribute_choices()]
        )
        if "recovery_minutes" in self.fields:
            # The bounds the rule's validation holds to, offered by the browser's number box.
            self.fields["recovery_minutes"].widget.attrs.update(
                min=RECOVERY_MINUTES_MIN, max=RECOVERY_MINUTES_MAX
            )


@admin.register(AlertRule)
class AlertRuleAdmin(ScopedAdmin):
    form = AlertRuleForm
    list_display = ["name", "kind", "entity_type_name", "attribute_name", "incident_type", "is_active"]
    list_filter = ["is_active", "kind"]
    search_fields = ["name"]
    list_select_related = ["incident_type", "incident_type__category"]
    fieldsets = [
        (None, {"fields": ["operator", "name", "is_active", "entity_type", "attribute", "kind"]}),
        (
            _("Threshold"),
            {
                "fields": [
                    "comparison",
                    "threshold",
                    "clear_value",
                    "recovery_minutes",
                    "aggregation",
                    "for_minutes",
                ]
            },
        ),
        (_("State"), {"fields": ["state_values"]}),
        (_("Silence"), {"fields": ["silence_minutes"]}),
        (_("Ticket"), {"fields": ["incident_type", "priority", "resolve_when_clear"]}),
    ]

    @admin.display(description=_("type of sensor"))
    def entity_type_name(self, obj: AlertRule) -> str:
        found = sdm.BY_IRI.get(obj.entity_type)
        return found.name if found is not None else obj.entity_type

    @admin.display(description=_("attribute"))
    def attribute_name(self, obj: AlertRule) -> str:
        return obj.attribute.rsplit("/", 1)[-1]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "operator" in form.base_fields and not request.user.is_superuser:
            # New rules belong to the operator the staff member acts for, never another.
            field = form.base_fields["operator"]
            field.queryset = Operator.objects.filter(pk=request.scope.operator_id)  # type: ignore[attr-defined]
            field.initial = request.scope.operator_id  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: AlertRule, form: Any, change: bool) -> None:
        # Through the verb: a deactivated or changed rule ends its alerts in progress.
        save_rule(rule=obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "incident_type":
            kwargs["queryset"] = choices(IncidentType, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AlertState)
class AlertStateAdmin(ReadOnlyAdmin, ScopedAdmin):
    """Where each sensor stands for each rule; written by the evaluation only."""

    # How many times an alert came back while waiting to end (a wavering sensor: to check
    # or to give a return-to-normal value), beside where it stands.
    list_display = ["rule", "entity", "status", "since", "last_value", "flaps", "ticket", "problem"]
    list_filter = ["status", ("rule", ScopedRelatedFilter)]
    search_fields = ["entity__entity_id", "rule__name"]
    list_select_related = ["rule", "entity", "ticket"]
