"""Filter forms of the registry pages (GET forms: every filter is a labelled field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
