"""Importing equipment: check every row of a file, then create (and in update mode, update)
assets, their new models and the lines of their status history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.registry.models import (
    Asset,
    AssetModel,
    AssetStatus,
    AssetStatusChange,
    ImportKind,
    Operator,
)

from .asset_links import check_parents
from .asset_rows import AssetChecker, AssetDraft, ModelKey, model_key
from .columns import Column, ImportSpec, example_rows
from .lookups import in_chunks
from .reading import read_table, row_values
from .report import Report, change_text
from .rows import Row, lines_list

if TYPE_CHECKING:
    from mutualis.people.models import User

BATCH_SIZE = 1000


def _header_rules(columns: set[str]) -> list[str]:
    messages = []
    if "site_id" not in columns and not {"member", "site"} <= columns:
        messages.append(
            _("Say where each piece of equipment is: add a “site_id” column, or “member” and “site” columns.")
        )
    if ("manufacturer" in columns) != ("model" in columns):
        messages.append(_("The columns “manufacturer” and “model” go together: add the missing one."))
    return messages


ASSETS = ImportSpec(
    kind=ImportKind.ASSETS,
    columns=(
        Column(
            "inventory_tag",
            (
                "tag",
                "asset_tag",
                "inventaire",
                "numero_inventaire",
                "numero_d_inventaire",
                "n_inventaire",
                "n_d_inventaire",
                "num_inventaire",
                "etiquette",
            ),
            required=True,
            identifier=True,
            help=gettext_lazy("The tag on the equipment, unique across the operator's whole fleet."),
        ),
        Column(
            "member",
            ("adherent", "membre", "siren"),
            identifier=True,
            help=gettext_lazy("The member's SIREN or INSEE code, as in the sites file; with “site”."),
        ),
        Column(
            "site",
            ("reference_site", "code_site", "site_reference", "lieu"),
            identifier=True,
            help=gettext_lazy(
                "The site's reference within that member (or its exact name, when only one of the member's "
                "sites has it)."
            ),
        ),
        Column(
            "site_id",
            ("id_site", "site_mutualis"),
            identifier=True,
            help=gettext_lazy(
                "Instead of member and site: the site's number in Mutualis (in its page address)."
            ),
        ),
        Column(
            "type",
            ("asset_type", "type_d_equipement", "type_equipement", "categorie"),
            required=True,
            help=gettext_lazy("A type of equipment, by its code or its name (e.g. tablette, camera)."),
        ),
        Column(
            "manufacturer",
            ("fabricant", "marque", "constructeur"),
            help=gettext_lazy("With “model”; a pair not known yet is added to the list of models."),
        ),
        Column("model", ("modele",), help=gettext_lazy("The manufacturer's model name, e.g. Tab M10.")),
        Column(
            "serial_number",
            ("serial", "sn", "numero_de_serie", "n_de_serie", "num_serie", "n_serie", "no_serie"),
            identifier=True,
            help=gettext_lazy("As printed on the equipment."),
        ),
        Column(
            "label",
            ("libelle", "nom", "name", "designation"),
            help=gettext_lazy("A short description, e.g. Camera, north entrance."),
        ),
        Column(
            "status",
            ("statut", "etat", "state"),
            help=gettext_lazy(
                "in_service (default), in_stock, in_repair, lost, retired, or their names in French or English "
                "(en service, en stock, en réparation, perdu ou volé, retiré)."
            ),
        ),
        Column(
            "acquired_on",
            # "Acquis le": the column of the equipment list's export, so that it imports back.
            (
                "date_d_achat",
                "date_achat",
                "date_acquisition",
                "date_d_acquisition",
                "purchase_date",
                "acquis_le",
            ),
            help=gettext_lazy("A date: 2024-09-01 or 01/09/2024."),
        ),
        Column(
            "warranty_ends_on",
            (
                "fin_de_garantie",
                "fin_garantie",
                "date_fin_garantie",
                "date_de_fin_de_garantie",
                "warranty_end",
            ),
            help=gettext_lazy("A date, not before the acquisition date."),
        ),
        Column(
            "acquisition_cost",
            (
                "cout",
                "cout_d_acquisition",
                # The equipment list's export: "Coût d’acquisition (€ HT)", "Acquisition cost (EUR)".
                "cout_d_acquisition_ht",
                "acquisition_cost_eur",
                "cout_acquisition",
                "prix",
                "prix_d_achat",
                "prix_achat",
                "prix_ht",
            ),
            help=gettext_lazy("In euros excluding VAT, 289.90 or 289,90; at least 0."),
        ),
        Column(
            "parent_tag",
            ("parent", "tag_parent", "inventaire_parent", "fait_partie_de", "part_of"),
            identifier=True,
            help=gettext_lazy(
                "The inventory tag of the equipment this one is part of, in the file or already recorded; "
                "of the same member."
            ),
        ),
    ),
    example_rows=example_rows(
        """
VER-TAB-0001;78646;HDV;;tablette;Lenovo;Tab M10;HGT7K2P1;Tablette accueil;in_service;2024-09-01;2027-08-31;289.90;
VER-CAB-0001;78646;HDV;;cabine-telemedecine;;;;Cabine de téléconsultation;en service;01/03/2023;28/02/2028;48 500,00;
VER-TLE-0001;78646;HDV;;equipement-telemedecine;;;;Otoscope connecté;;01/03/2023;;;VER-CAB-0001
HOC-VPI-0001;78;0781234A;;videoprojecteur;Epson;EB-735Fi;X5RK8800123;Salle 12;en stock;2025-01-15;2030-01-14;1450;
"""
    ),
    header_rules=_header_rules,
)


@dataclass
class AssetPlan:
    """What a valid file would write; built by `validate_assets`, written by `apply`."""

    report: Report
    operator_id: int
    creates: list[AssetDraft] = field(default_factory=list)
    updates: list[tuple[AssetDraft, Asset]] = field(default_factory=list)
    new_models: dict[ModelKey, tuple[str, str]] = field(default_factory=dict)
    # Recorded equipment the file names, by tag: parents resolve to these ids.
    recorded_ids: dict[str, int] = field(default_factory=dict)

    def apply(self, *, by: User | None, note: str) -> None:
        """Write the plan (the caller holds the transaction), with a status history line for
        every new asset and every status change, as `register_asset` and `change_asset_status` do."""
        now = timezone.now()
        model_ids = self._create_models()
        Asset.objects.bulk_create(
            [self._new_asset(d, model_ids, now) for d in self.creates], batch_size=BATCH_SIZE
        )
        ids = {**self.recorded_ids, **self._ids_of([d.tag for d in self.creates])}
        # Parents that are themselves new: their ids exist only now.
        late_parents = [
            Asset(pk=ids[d.tag], parent_id=ids[d.parent_tag])
            for d in self.creates
            if d.parent_tag and d.parent_tag not in self.recorded_ids
        ]
        Asset.objects.bulk_update(late_parents, ["parent"], batch_size=BATCH_SIZE)
        history = [
            AssetStatusChange(
                asset_id=ids[d.tag],
                from_status="",
                to_status=d.values["status"],
                changed_at=now,
                changed_by=by,
                note=note,
            )
            for d in self.creates
        ]
        fields: set[str] = {"updated_at"}
        for draft, asset in self.updates:
            for name in draft.changed:
                if name == "model_id" and draft.new_model is not None:
                    asset.model_id = model_ids[draft.new_model]
                elif name == "parent_id":
                    asset.parent_id = ids[draft.parent_tag] if draft.parent_tag else None
                elif name == "status" and draft.new_status is not None:
                    history.append(
                        AssetStatusChange(
                            asset_id=asset.pk,
                            from_status=asset.status,
                            to_status=draft.new_status,
                            changed_at=now,
                            changed_by=by,
                            note=note,
                        )
                    )
                    asset.status, asset.status_changed_at = draft.new_status, now
                    fields.add("status_changed_at")
                else:
                    setattr(asset, name, draft.values[name])
                fields.add(name.removesuffix("_id"))
            asset.updated_at = now
        Asset.objects.bulk_update(
            [asset for _draft, asset in self.updates], sorted(fields), batch_size=BATCH_SIZE
        )
        AssetStatusChange.objects.bulk_create(history, batch_size=BATCH_SIZE)

    def _create_models(self) -> dict[ModelKey, int]:
        if not self.new_models:
            return {}
        AssetModel.objects.bulk_create(
            [
                AssetModel(asset_type_id=key[0], manufacturer=m, name=n)
                for key, (m, n) in self.new_models.items()
            ],
            batch_size=BATCH_SIZE,
        )
        # Read the ids back rather than rely on the backend returning them from a bulk insert.
        type_ids = {key[0] for key in self.new_models}
        return {
            model_key(type_id, manufacturer, name): pk
            for pk, type_id, manufacturer, name in AssetModel.objects.filter(
                asset_type_id__in=type_ids
            ).values_list("pk", "asset_type_id", "manufacturer", "name")
        }

    def _new_asset(self, draft: AssetDraft, model_ids: dict[ModelKey, int], now: Any) -> Asset:
        asset = Asset(operator_id=self.operator_id, status_changed_at=now, **draft.values)
        if draft.new_model is not None:
            asset.model_id = model_ids[draft.new_model]
        if draft.parent_tag and draft.parent_tag in self.recorded_ids:
            asset.parent_id = self.recorded_ids[draft.parent_tag]
        return asset

    def _ids_of(self, tags: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for chunk in in_chunks(tags):
            ids.update(
                Asset.objects.filter(operator_id=self.operator_id, inventory_tag__in=chunk).values_list(
                    "inventory_tag", "pk"
                )
            )
        return ids


def _changes(draft: AssetDraft, asset: Asset, recorded_ids: dict[str, int]) -> set[str]:
    changed = {name for name, value in draft.values.items() if getattr(asset, name) != value}
    if draft.new_model is not None:
        changed.add("model_id")
    if draft.parent_tag is not None:
        parent_id = recorded_ids.get(draft.parent_tag) if draft.parent_tag else None
        if parent_id != asset.parent_id or (draft.parent_tag and parent_id is None):
            changed.add("parent_id")
    if draft.new_status is not None:
        changed.add("status")
    return changed


# Asset field -> the column that sets it, in the order of the columns.
_COLUMN_OF = {
    "site_id": "site",
    "asset_type_id": "type",
    "model_id": "model",
    "serial_number": "serial_number",
    "label": "label",
    "status": "status",
    "acquired_on": "acquired_on",
    "warranty_ends_on": "warranty_ends_on",
    "acquisition_cost": "acquisition_cost",
    "parent_id": "parent_tag",
}


def _described_changes(draft: AssetDraft, asset: Asset, checker: AssetChecker) -> list[str]:
    """What the row changes, column by column as the file names them. A type, a model or a
    parent is named only: its value is in the file, and the equipment's page shows the
    one recorded."""
    row, described = draft.row, []
    for name in sorted(draft.changed & set(_COLUMN_OF), key=list(_COLUMN_OF).index):
        column = "site_id" if name == "site_id" and row.has("site_id") else _COLUMN_OF[name]
        header = row.names.get(column, column)
        if name == "site_id":
            before, after = checker.site_name(asset.site_id), checker.site_name(draft.values["site_id"])
        elif name == "status" and draft.new_status is not None:
            before, after = str(AssetStatus(asset.status).label), str(AssetStatus(draft.new_status).label)
        elif name in ("asset_type_id", "model_id", "parent_id"):
            described.append(header)
            continue
        else:
            before, after = getattr(asset, name), draft.values[name]
        described.append(change_text(header, before, after))
    return described


def validate_assets(*, operator: Operator, data: bytes, mode: str) -> AssetPlan:
    """Check an equipment file row by row, reporting every problem; nothing is written."""
    report = Report(kind=ImportKind.ASSETS, mode=mode)
    plan = AssetPlan(report, operator.pk)
    table = read_table(data, ASSETS, report)
    if table is None:
        report.sort()
        return plan
    rows = [(line, row_values(line, cells, table, report)) for line, cells in table.rows]
    file_tags = {v["inventory_tag"] for _l, v in rows if v and v.get("inventory_tag")}
    parent_tags = {v["parent_tag"] for _l, v in rows if v and v.get("parent_tag")}
    checker = AssetChecker(operator, mode, report, file_tags | parent_tags)
    drafts: list[AssetDraft] = []
    for line, values in rows:
        if values is not None:
            draft = checker.check(Row(line, values, table.names, report, identifiers=ASSETS.identifiers))
            if draft is not None:
                drafts.append(draft)
    checker.same_tag.report(
        lambda tag, lines: (
            _("The inventory tag %(tag)s is also on line %(lines)s.")
            % {"tag": tag, "lines": lines_list(lines)}
        )
    )
    check_parents(drafts, checker, file_tags)
    plan.recorded_ids = {tag: asset.pk for tag, asset in checker.existing.items()}
    for draft in drafts:
        if draft.row.failed:
            continue
        if draft.existing is None:
            plan.creates.append(draft)
            continue
        draft.changed = _changes(draft, draft.existing, plan.recorded_ids)
        if draft.changed:
            plan.updates.append((draft, draft.existing))
            report.add_change(draft.row.line, draft.tag, _described_changes(draft, draft.existing, checker))
        else:
            report.unchanged += 1
    used = {d.new_model for d in (*plan.creates, *(d for d, _a in plan.updates)) if d.new_model is not None}
    plan.new_models = {key: names for key, names in checker.new_models.items() if key in used}
    report.to_create, report.to_update, report.new_models = (
        len(plan.creates),
        len(plan.updates),
        len(plan.new_models),
    )
    report.sort()
    return plan
