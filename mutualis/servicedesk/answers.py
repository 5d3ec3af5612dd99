"""The form an incident type asks, built from its FormField rows, for pages and the API.

Answers are kept on the ticket as asked at the time: key, question, kind, the value for
machines and a display text for people.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy

from mutualis.registry.models import Asset, Site
from mutualis.web.date_fields import CalendarDateField

from .models import FormField, FormFieldKind, IncidentType

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def site_assets(site: Site, incident_type: IncidentType | None = None) -> Any:
    """The equipment a declaration may name: of this site, in service or in repair (not
    retired), of the type's kind when the type says which."""
    assets = Asset.objects.filter(site=site).exclude(status="retired").select_related("asset_type", "model")
    if incident_type is not None and incident_type.asset_type_id:
        assets = assets.filter(asset_type_id=incident_type.asset_type_id)
    return assets.order_by("inventory_tag")


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.inventory_tag, str(obj.asset_type)]
        if obj.model_id:
            parts.append(str(obj.model))
        if obj.label:
            parts.append(obj.label)
        return " – ".join(parts)


def _field_for(definition: FormField, incident_type: IncidentType, site: Site) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.kind
    if kind == FormFieldKind.SHORT_TEXT:
        return forms.CharField(max_length=200, **common)
    if kind == FormFieldKind.LONG_TEXT:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FormFieldKind.CHOICE:
        choices = [("", "—")] + [(c, c) for c in definition.choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FormFieldKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FormFieldKind.NUMBER:
        # localize: "0,75" in French, as people write it.
        return forms.DecimalField(max_digits=12, decimal_places=3, localize=True, **common)
    if kind == FormFieldKind.DATE:
        return CalendarDateField(**common)
    if kind == FormFieldKind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if kind == FormFieldKind.ASSET:
        # The type's kind of equipment when it names one: a "broken screen" question lists
        # the site's tablets, not its cameras.
        return AssetChoiceField(queryset=site_assets(site, incident_type), empty_label="—", **common)
    raise ValueError(f"unknown form field kind {kind!r}")


def answer_form_class(incident_type: IncidentType, site: Site) -> type[forms.Form]:
    """A Form class asking the type's questions about `site`; field names are the keys."""
    fields = {d.key: _field_for(d, incident_type, site) for d in incident_type.fields.all()}
    return type("AnswerForm", (forms.Form,), fields)


def plain_decimal(value: Decimal) -> str:
    """ "5000", "2.5": without trailing zeros, and never "5E+3" as Decimal.normalize() writes it."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _display(value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(plain_decimal(value))
    if isinstance(value, Asset):
        return f"{value.inventory_tag} ({value.asset_type})"
    if value in ("yes", "no"):
        return str(dict(YES_NO)[value])
    return str(value)


def _machine(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, Asset):
        return value.pk
    return value


def answers_from(form: forms.Form, incident_type: IncidentType) -> tuple[list[dict[str, Any]], list[Asset]]:
    """The answers of a valid form as stored on the ticket, and the equipment they name."""
    stored = []
    assets: list[Asset] = []
    for definition in incident_type.fields.all():
        value = form.cleaned_data.get(definition.key)
        if isinstance(value, Asset):
            assets.append(value)
        if value in (None, "", []):
            continue
        stored.append(
            {
                "key": definition.key,
                "label": definition.label,
                "kind": definition.kind,
                "value": _machine(value),
                "display": _display(value),
            }
        )
    return stored, assets
