"""Forms of the registry: the filters of its pages (GET forms: every filter is a labelled
field), and the base of its back-office change forms, which do not overwrite a change made
by someone else while they were open."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import QueryDict
from django.utils import formats
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualis.lib.json_input import strict_loads
from mutualis.people.tenancy import Scope

from .models import AssetStatus, AssetType, Departement, Member, MemberKind, Service, SiteKind


class _FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        if "member" in self.fields:
            if scope.is_operator_staff:
                self.fields["member"].queryset = Member.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
            else:
                del self.fields["member"]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (a tampered URL) is ignored, not an error page."""
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return self.cleaned_data


class MemberFilterForm(_FilterForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *MemberKind.choices])
    departement = forms.ModelChoiceField(
        label=_("Département"), required=False, queryset=Departement.objects.all(), empty_label=_("All")
    )
    service = forms.ModelChoiceField(
        label=_("Subscribed service"), required=False, queryset=Service.objects.all(), empty_label=_("All")
    )


class SiteFilterForm(_FilterForm):
    kind = forms.ModelChoiceField(
        label=_("Kind"), required=False, queryset=SiteKind.objects.all(), empty_label=_("All")
    )
    member = forms.ModelChoiceField(
        label=_("Member"), required=False, queryset=Member.objects.none(), empty_label=_("All")
    )
    departement = forms.ModelChoiceField(
        label=_("Département"), required=False, queryset=Departement.objects.all(), empty_label=_("All")
    )
    active = forms.ChoiceField(
        label=_("Open"), required=False, choices=[("", _("All")), ("yes", _("Open")), ("no", _("Closed"))]
    )


class AssetFilterForm(_FilterForm):
    asset_type = forms.ModelChoiceField(
        label=_("Type"), required=False, queryset=AssetType.objects.all(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *AssetStatus.choices]
    )
    site_kind = forms.ModelChoiceField(
        label=_("Kind of site"), required=False, queryset=SiteKind.objects.all(), empty_label=_("All")
    )
    member = forms.ModelChoiceField(
        label=_("Member"), required=False, queryset=Member.objects.none(), empty_label=_("All")
    )
    warranty = forms.ChoiceField(
        label=_("Warranty"),
        required=False,
        choices=[("", _("All")), ("running", _("Under warranty")), ("expired", _("Warranty expired"))],
    )


class EditedMeanwhileForm(forms.ModelForm):
    """A change form that will not silently undo a change made while it was open.

    The page carries, in one hidden field, a fingerprint of each value it showed. When the
    form comes back, a field whose value changed since (through the API, an import, another
    person's form) is a conflict unless the person typed its current value: the form is
    shown again, with a message naming the fields changed meanwhile and what they hold now.
    Fields the person had left as shown now show the current value; fields they had typed
    in keep what they typed. Saving again is then a choice made knowing the current record.

    The comparison is only as good as the row it is made against: the back office reads
    that row under a lock (EditedMeanwhileAdmin.get_object), so that no change slips in
    between this check and the save.
    """

    values_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["values_shown"].initial = json.dumps(self._fingerprints(), sort_keys=True)

    def _edited_names(self) -> list[str]:
        # The model's fields this form shows; not the form's own (a note, this fingerprint).
        return [name for name in self.fields if name in self.initial and name != "values_shown"]

    def _fingerprints(self) -> dict[str, str]:
        return {
            name: _fingerprint(self.get_initial_for_field(self.fields[name], name))
            for name in self._edited_names()
        }

    def _shown(self) -> dict[str, str] | None:
        """The fingerprints the page was opened with. A form sent without them (a script, a
        page opened before this check existed) is saved as before; so is one whose hidden
        field was tampered with, since only the person sending it can lose by that.
        `strict_loads`, not `json.loads`: a field nesting its JSON past the recursion limit
        was a RecursionError (a 500), which it answers with a ValueError."""
        try:
            shown = strict_loads(self.data.get(self.add_prefix("values_shown")) or "null")
        except ValueError:
            return None
        return shown if isinstance(shown, dict) else None

    def _typed(self, name: str) -> str | None:
        """The fingerprint of what was sent for `name`; None when it is not a valid value."""
        if name in self.cleaned_data:
            return _fingerprint(self.cleaned_data[name])
        try:
            return _fingerprint(self.fields[name].clean(self[name].data))
        except ValidationError:
            return None

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        shown = self._shown() if self.instance.pk else None
        if shown is None:
            return cleaned
        current = self._fingerprints()
        conflicts: list[tuple[str, bool]] = []
        for name, now in current.items():
            before = shown.get(name)
            if before is None or before == now:
                continue
            typed = self._typed(name)
            if typed == now:
                continue  # typed what it holds now: nothing is undone
            # Kept: the person changed it too (an invalid value is one they typed).
            conflicts.append((name, typed != before))
        if conflicts:
            self._show_again(current, conflicts)
        return cleaned

    def _show_again(self, current: dict[str, str], conflicts: list[tuple[str, bool]]) -> None:
        data = cast(QueryDict, self.data).copy()  # the admin binds the form to request.POST
        data[self.add_prefix("values_shown")] = json.dumps(current, sort_keys=True)
        changes = []
        for name, kept in conflicts:
            value = self._current_display(name)
            changes.append(
                gettext("%(field)s (now “%(value)s”)") % {"field": self.fields[name].label, "value": value}
            )
            if kept:
                message = gettext(
                    "Changed by someone else while you were editing, to “%(value)s”; the form keeps what "
                    "you typed."
                ) % {"value": value}
            else:
                self._put_current(data, name)
                # An error about the value sent, which the page no longer shows.
                self.errors.pop(name, None)
                message = gettext(
                    "Changed by someone else while you were editing; the form now shows its current value."
                )
            self.add_error(name, message)
        self.data = data
        self.add_error(
            None,
            gettext(
                "While you were editing, someone else changed: %(changes)s. Nothing was saved. Check the "
                "form and save again: the fields you had left as they were show their current value, "
                "those you had changed keep what you typed."
            )
            % {"changes": ", ".join(changes)},
        )

    def _put_current(self, data: QueryDict, name: str) -> None:
        """Make the page sent back show the field's current value, as a browser would send it."""
        field, key = self.fields[name], self.add_prefix(name)
        value = field.prepare_value(self.get_initial_for_field(field, name))
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        elif isinstance(value, list | tuple):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = "" if value is None else str(value)

    def _current_display(self, name: str) -> str:
        """The field's current value as a person reads it: a choice's label, a row's name."""
        value = self.get_initial_for_field(self.fields[name], name)
        if value is None or value == "" or value == []:
            return gettext("empty")
        try:
            model_field = self.instance._meta.get_field(name)
        except FieldDoesNotExist:
            return Truncator(str(value)).chars(80)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if model_field.many_to_many:
            return ", ".join(str(row) for row in value)
        if model_field.is_relation:
            return str(getattr(self.instance, name))
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        return Truncator(str(formats.localize(value))).chars(80)


def _fingerprint(value: Any) -> str:
    """A short hash of a field's value, the same for the value the page showed (read from
    the row) and for that value sent back by the form (parsed from what the browser sent)."""
    return hashlib.sha256(json.dumps(_plain(value), sort_keys=True).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return sorted(str(_plain(item)) for item in value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        # Browsers send a text area's line breaks as CR LF (HTML, form submission).
        return value.replace("\r\n", "\n")
    if isinstance(value, Decimal):
        return str(value.normalize())  # 289.00 as stored, 289 or 289.0 as typed
    if isinstance(value, bool | int):
        return value
    return str(value)
