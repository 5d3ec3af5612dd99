"""Checking one row of an equipment file against what the operator already has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from mutualis.lib.numbers import whole_number
from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetType, ImportMode, Operator, Site
from mutualis.registry.services import IllegalTransition, check_transition

from .columns import normalize
from .lookups import MemberIndex, in_chunks
from .report import Report
from .rows import CellError, Duplicates, NameIndex, Row, parse_amount

# Words people use for a status in French inventories, beyond the labels of AssetStatus.
_STATUS_WORDS = {
    "en_service": AssetStatus.IN_SERVICE,
    "actif": AssetStatus.IN_SERVICE,
    "en_stock": AssetStatus.IN_STOCK,
    "stock": AssetStatus.IN_STOCK,
    "en_reparation": AssetStatus.IN_REPAIR,
    "reparation": AssetStatus.IN_REPAIR,
    "perdu": AssetStatus.LOST,
    "vole": AssetStatus.LOST,
    "perdu_ou_vole": AssetStatus.LOST,
    "retire": AssetStatus.RETIRED,
    "reforme": AssetStatus.RETIRED,
}

ModelKey = tuple[int, str, str]  # (asset type id, manufacturer, model), compared without case


def model_key(type_id: int, manufacturer: str, name: str) -> ModelKey:
    return (type_id, " ".join(manufacturer.casefold().split()), " ".join(name.casefold().split()))


@dataclass(frozen=True)
class SiteRef:
    pk: int
    member_id: int
    name: str


@dataclass
class AssetDraft:
    """A valid row, ready to be written: field values by attribute name (`site_id`…)."""

    row: Row
    tag: str
    site: SiteRef
    values: dict[str, Any]
    existing: Asset | None = None
    # A model the operator does not have yet, created on apply (its id is not known before).
    new_model: ModelKey | None = None
    # None: the file has no parent column (keep the parent); "": no parent.
    parent_tag: str | None = None
    new_status: str | None = None
    changed: set[str] = field(default_factory=set)


def status_names() -> dict[str, str]:
    """Status codes by every name accepted: the code, the English and French labels."""
    names: dict[str, str] = {normalize(s.value): s.value for s in AssetStatus}
    for language in ("en", "fr"):
        with translation.override(language):
            names.update({normalize(str(s.label)): s.value for s in AssetStatus})
    names.update({word: status.value for word, status in _STATUS_WORDS.items()})
    return names


class AssetChecker:
    """The operator's sites, types, models and the equipment a file names, loaded once."""

    def __init__(self, operator: Operator, mode: str, report: Report, tags: Iterable[str]) -> None:
        self.operator, self.mode, self.report = operator, mode, report
        self.members = MemberIndex(operator)
        self.sites: dict[int, SiteRef] = {}
        self.site_by_reference: dict[tuple[int, str], SiteRef] = {}
        self.sites_by_name: dict[tuple[int, str], list[SiteRef]] = {}
        for pk, member_id, code, name in Site.objects.filter(operator=operator).values_list(
            "pk", "member_id", "code", "name"
        ):
            ref = SiteRef(pk, member_id, name)
            self.sites[pk] = ref
            if code:
                self.site_by_reference[(member_id, code)] = ref
            self.sites_by_name.setdefault((member_id, normalize(name)), []).append(ref)
        self.types = NameIndex(
            AssetType.objects.all(), keys=lambda t: (t.code, t.name), label=lambda t: t.name
        )
        self.models: dict[ModelKey, AssetModel] = {}
        for model in AssetModel.objects.all():
            self.models.setdefault(model_key(model.asset_type_id, model.manufacturer, model.name), model)
        self.model_types = {m.pk: m.asset_type_id for m in self.models.values()}
        self.new_models: dict[ModelKey, tuple[str, str]] = {}
        self.existing: dict[str, Asset] = {}
        for chunk in in_chunks(sorted(set(tags))):
            for asset in Asset.objects.filter(operator=operator, inventory_tag__in=chunk):
                self.existing[asset.inventory_tag] = asset
        self.statuses = status_names()
        self.same_tag: Duplicates[str] = Duplicates()

    def site_name(self, site_id: int) -> str:
        site = self.sites[site_id]
        return f"{site.name} ({self.members.by_id[site.member_id]})"

    def check(self, row: Row) -> AssetDraft | None:
        tag = row.text("inventory_tag", required=True, max_length=_max_length("inventory_tag"))
        site = self._site(row)
        asset_type = row.value(
            "type", lambda t: self.types.parse(t, _("Unknown type of equipment “%(value)s”.")), required=True
        )
        manufacturer = row.text(
            "manufacturer", max_length=AssetModel._meta.get_field("manufacturer").max_length
        )
        model_name = row.text("model", max_length=AssetModel._meta.get_field("name").max_length)
        if bool(manufacturer) != bool(model_name):
            row.fail(
                "model" if manufacturer else "manufacturer",
                _("Give the manufacturer and the model together, or neither."),
            )
        values: dict[str, Any] = {
            "serial_number": row.text("serial_number", max_length=_max_length("serial_number")),
            "label": row.text("label", max_length=_max_length("label")),
            "acquired_on": row.date("acquired_on"),
            "warranty_ends_on": row.date("warranty_ends_on"),
            "acquisition_cost": row.value("acquisition_cost", parse_amount),
        }
        status = row.value("status", self._parse_status)
        parent_tag = (
            row.text("parent_tag", max_length=_max_length("inventory_tag")) if row.has("parent_tag") else None
        )
        existing = self.existing.get(tag) if tag else None
        if tag:
            self.same_tag.add(tag, row, "inventory_tag")
        if existing is not None and self.mode == ImportMode.CREATE:
            row.fail(
                "inventory_tag",
                _(
                    "The inventory tag %(tag)s is already used by equipment at %(site)s. To change existing "
                    "equipment, import the file in update mode."
                )
                % {"tag": tag, "site": self.site_name(existing.site_id)},
            )
        # In update mode a column absent from the file keeps the recorded value.
        values = {k: v for k, v in values.items() if row.has(k) or existing is None}
        self._check_warranty(row, values, existing)
        if site is None:
            return None
        # A draft even for a row with problems: its parent is still checked, so that the
        # report lists all of the row's problems. Only drafts of clean rows are written.
        values.update(site_id=site.pk, asset_type_id=asset_type.pk if asset_type else None, inventory_tag=tag)
        draft = AssetDraft(
            row=row, tag=tag, site=site, values=values, existing=existing, parent_tag=parent_tag
        )
        if asset_type is not None:
            self._set_model(draft, asset_type, manufacturer, model_name)
        self._set_status(draft, status)
        return draft

    def _site(self, row: Row) -> SiteRef | None:
        raw_id = row.text("site_id")
        if row.values.get("site_id") and not raw_id:
            return None  # unreadable, reported by `row.text`
        if raw_id:
            number = whole_number(raw_id)
            site = self.sites.get(number) if number is not None else None
            if site is None:
                row.fail(
                    "site_id",
                    _("No site of %(operator)s has the id “%(value)s”.")
                    % {"operator": self.operator, "value": raw_id},
                )
            elif row.values.get("member"):
                member = row.value("member", self.members.parse)
                if member is not None and member.pk != site.member_id:
                    row.fail(
                        "member",
                        _("Site %(id)s is “%(site)s”, a site of another member than %(member)s.")
                        % {"id": raw_id, "site": self.site_name(site.pk), "member": member},
                    )
            return site
        if not (row.has("member") and row.has("site")):
            row.fail("site_id", _("This value is required; the cell is empty."))
            return None
        member = row.value("member", self.members.parse, required=True)
        reference = row.text("site", required=True)
        if member is None or not reference:
            return None
        site = self.site_by_reference.get((member.pk, reference))
        if site is not None:
            return site
        # Inventories kept in spreadsheets often name the site ("Lieu") rather than its reference.
        named = self.sites_by_name.get((member.pk, normalize(reference)), [])
        if len(named) == 1:
            return named[0]
        if named:
            row.fail(
                "site",
                _("%(member)s has %(count)s sites named “%(value)s”: use the site's reference instead.")
                % {"member": member, "count": len(named), "value": reference},
            )
        else:
            row.fail(
                "site",
                _("%(member)s has no site with the reference or name “%(value)s”.")
                % {"member": member, "value": reference},
            )
        return None

    def _parse_status(self, text: str) -> str:
        status = self.statuses.get(normalize(text))
        if status is None:
            raise CellError(
                _("Unknown status “%(value)s”. Write one of: %(known)s.")
                % {"value": text, "known": ", ".join(AssetStatus.values)}
            )
        return status

    def _check_warranty(self, row: Row, values: dict[str, Any], existing: Asset | None) -> None:
        acquired = (
            values["acquired_on"] if "acquired_on" in values else getattr(existing, "acquired_on", None)
        )
        warranty = (
            values["warranty_ends_on"]
            if "warranty_ends_on" in values
            else getattr(existing, "warranty_ends_on", None)
        )
        if acquired and warranty and warranty < acquired:
            row.fail("warranty_ends_on", _("The warranty cannot end before the equipment was acquired."))

    def _set_model(
        self, draft: AssetDraft, asset_type: AssetType, manufacturer: str, model_name: str
    ) -> None:
        row, existing = draft.row, draft.existing
        if manufacturer and model_name:
            key = model_key(asset_type.pk, manufacturer, model_name)
            model = self.models.get(key)
            if model is not None:
                draft.values["model_id"] = model.pk
            else:
                draft.new_model = key
                self.new_models.setdefault(key, (manufacturer, model_name))
        elif existing is None or row.has("model"):
            draft.values["model_id"] = None
        elif existing.model_id is not None and self.model_types.get(existing.model_id) != asset_type.pk:
            row.fail(
                "type",
                _(
                    "The recorded model of this equipment is a model of another type: give the manufacturer "
                    "and model columns too."
                ),
            )

    def _set_status(self, draft: AssetDraft, status: str | None) -> None:
        existing = draft.existing
        if existing is None:
            draft.values["status"] = status or AssetStatus.IN_SERVICE
            return
        if status is None or status == existing.status:
            return
        try:
            check_transition(existing.status, status)
        except IllegalTransition as exc:
            draft.row.fail("status", " ".join(exc.messages))
            return
        draft.new_status = status


def _max_length(field_name: str) -> int | None:
    return Asset._meta.get_field(field_name).max_length  # type: ignore[union-attr]
