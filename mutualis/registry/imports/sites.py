"""Importing sites: check every row of a file, then create (and in update mode, update) sites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.registry.models import Commune, ImportKind, ImportMode, Member, Operator, Site, SiteKind
from mutualis.registry.opening_hours import normalize_opening_hours

from .columns import Column, ImportSpec, example_rows, normalize
from .lookups import CommuneIndex, MemberIndex
from .reading import read_table, row_values
from .report import Report, change_text
from .rows import CellError, Duplicates, NameIndex, Row, coordinate_parser, lines_list, zero_padded

if TYPE_CHECKING:
    from mutualis.people.models import User

BATCH_SIZE = 1000

SITES = ImportSpec(
    kind=ImportKind.SITES,
    columns=(
        Column(
            "member",
            ("adherent", "membre", "siren", "code_adherent"),
            required=True,
            identifier=True,
            help=gettext_lazy(
                "The member's SIREN, or its INSEE code: the commune's code for a commune, the "
                "département's code for a département."
            ),
        ),
        Column(
            "kind",
            ("type", "type_de_site", "type_site", "categorie"),
            required=True,
            help=gettext_lazy("A kind of site, by its code or its name (e.g. mairie, ecole, college)."),
        ),
        Column(
            "name",
            ("nom", "nom_du_site", "nom_site", "libelle"),
            required=True,
            help=gettext_lazy("The site's name."),
        ),
        Column(
            "reference",
            ("code", "ref", "code_site", "reference_site", "uai"),
            identifier=True,
            help=gettext_lazy(
                "The member's reference for the site (a school's UAI number, a building code), unique "
                "within the member. Required in update mode: it is how the site to update is found."
            ),
        ),
        Column("address", ("adresse", "adresse_postale"), help=gettext_lazy("Street address.")),
        Column(
            "postal_code",
            ("code_postal", "cp"),
            help=gettext_lazy("Five digits; must be one of the commune's postal codes."),
        ),
        Column(
            "commune",
            ("code_insee", "insee", "insee_code", "code_commune"),
            required=True,
            help=gettext_lazy(
                "The INSEE code of the commune (not its postal code), e.g. 78646. It must be a commune "
                "of the member's territory."
            ),
        ),
        Column(
            "latitude",
            ("lat",),
            help=gettext_lazy("Decimal degrees, with a point or a comma (48.8049); give both or neither."),
        ),
        Column("longitude", ("lon", "lng", "long"), help=gettext_lazy("Decimal degrees (2.1204 or 2,1204).")),
        Column(
            "opening_hours",
            ("horaires", "horaires_d_ouverture", "horaires_ouverture"),
            help=gettext_lazy(
                "OpenStreetMap syntax, e.g. Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00, or the French way, "
                "e.g. lun-ven 8h30-12h, 13h30-17h30; sam 9h-12h (recorded in OpenStreetMap syntax)."
            ),
        ),
        Column("phone", ("telephone", "tel"), help=gettext_lazy("Phone number, e.g. 01 30 97 80 00.")),
    ),
    example_rows=example_rows(
        """
78646;mairie;Hôtel de ville de Versailles;HDV;4 avenue de Paris;78000;78646;48.8049;2.1307;"Mo-Fr 08:30-17:30; Sa 09:00-12:00";01 30 97 80 00
78646;ecole;École élémentaire Les Petits-Bois;0780999X;;78000;78646;;;;
78;college;Collège Hoche;0781234A;1 rue Hoche;78000;78646;48,8065;2,1310;;
"""
    ),
    # What the sites' export (registry.views.SITE_COLUMNS) writes beside the columns read
    # here, in French and in English: the count of equipment, the commune's name.
    read_over={"equipements": None, "equipment": None, "commune": "commune"},
)

# Column -> Site field set from it; an optional column absent from the file leaves the field as it is.
_OPTIONAL_FIELDS = {
    "reference": "code",
    "address": "address",
    "postal_code": "postal_code",
    "latitude": "latitude",
    "longitude": "longitude",
    "opening_hours": "opening_hours",
    "phone": "phone",
}
_POSTAL_CODE = re.compile(r"^\d{5}$")
_PHONE = re.compile(r"^[0-9+().\s/-]+$")


@dataclass
class SitePlan:
    """What a valid file would write; built by `validate_sites`, written by `apply`."""

    report: Report
    creates: list[Site] = field(default_factory=list)
    updates: list[Site] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)

    def apply(self, *, by: User | None, note: str) -> None:
        """Write the plan (the caller holds the transaction). Sites have no history to keep."""
        Site.objects.bulk_create(self.creates, batch_size=BATCH_SIZE)
        if self.updates:
            now = timezone.now()
            for site in self.updates:
                site.updated_at = now
            Site.objects.bulk_update(
                self.updates, sorted(self.update_fields | {"updated_at"}), batch_size=BATCH_SIZE
            )


def _max_length(field_name: str) -> int | None:
    return Site._meta.get_field(field_name).max_length  # type: ignore[union-attr]


def _parse_hours(text: str) -> str:
    """Opening hours in OpenStreetMap syntax, rewritten when typed the French way."""
    try:
        hours = normalize_opening_hours(text)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from exc
    limit = _max_length("opening_hours")
    if limit is not None and len(hours) > limit:
        raise CellError(
            _("In OpenStreetMap syntax these hours take %(length)s characters; at most %(max)s fit.")
            % {"length": len(hours), "max": limit}
        )
    return hours


def _parse_postal_code(text: str) -> str:
    code = zero_padded(text.replace(" ", ""), 5)
    if not _POSTAL_CODE.match(code):
        raise CellError(_("“%(value)s” is not a postal code: five digits, e.g. 78000.") % {"value": text})
    return code


def _parse_phone(text: str) -> str:
    if text.isdigit() and len(text) == 9 and text[0] != "0":
        # A French number typed in a spreadsheet's number cell loses its leading 0 (0130978000
        # becomes 130978000): no French number has nine digits, so the 0 is given back.
        text = "0" + text
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < 3:
        raise CellError(_("“%(value)s” is not a phone number: digits, spaces and + only.") % {"value": text})
    return text


class _SiteChecker:
    def __init__(self, operator: Operator, mode: str, report: Report, communes: CommuneIndex) -> None:
        self.operator, self.mode, self.report = operator, mode, report
        self.members = MemberIndex(operator)
        self.communes = communes
        self.kinds = NameIndex(
            SiteKind.objects.all(), keys=lambda k: (k.code, k.name), label=lambda k: k.name
        )
        self.by_reference: dict[tuple[int, str], Site] = {}
        self.by_name: dict[tuple[int, str, int], Site] = {}
        for site in Site.objects.filter(operator=operator):
            if site.code:
                self.by_reference[(site.member_id, site.code)] = site
            self.by_name.setdefault((site.member_id, normalize(site.name), site.commune_id), site)
        self.same_reference: Duplicates[tuple[int, str]] = Duplicates()
        self.same_name: Duplicates[tuple[int, str, int]] = Duplicates()

    def check(self, row: Row) -> dict[str, Any] | None:
        """The site's field values from a row, or None when the row has problems."""
        member = row.value("member", self.members.parse, required=True)
        kind = row.value(
            "kind", lambda t: self.kinds.parse(t, _("Unknown kind of site “%(value)s”.")), required=True
        )
        name = row.text("name", required=True, max_length=_max_length("name"))
        reference = row.text("reference", max_length=_max_length("code"))
        if self.mode == ImportMode.UPDATE and not row.values.get("reference"):
            row.fail(
                "reference", _("In update mode every row needs a reference: it is how the site is found.")
            )
        address = row.text("address", max_length=_max_length("address"))
        commune = row.value("commune", self.communes.parse, required=True)
        postal_code = row.value("postal_code", _parse_postal_code)
        if (
            commune is not None
            and postal_code
            and commune.postal_codes
            and postal_code not in commune.postal_codes
        ):
            row.fail(
                "postal_code",
                _("%(code)s is not a postal code of %(commune)s (%(known)s).")
                % {"code": postal_code, "commune": commune.name, "known": ", ".join(commune.postal_codes)},
            )
        if member is not None and commune is not None:
            self._check_territory(row, member, commune)
        latitude = row.value("latitude", coordinate_parser(90))
        longitude = row.value("longitude", coordinate_parser(180))
        has_lat, has_lon = bool(row.values.get("latitude")), bool(row.values.get("longitude"))
        if has_lat != has_lon:
            row.fail(
                "longitude" if has_lat else "latitude", _("Give both latitude and longitude, or neither.")
            )
        hours = row.value("opening_hours", _parse_hours, max_length=_max_length("opening_hours"))
        phone = row.value("phone", _parse_phone, max_length=_max_length("phone"))
        if row.failed or member is None or kind is None or commune is None:
            return None
        values: dict[str, Any] = {
            "member_id": member.pk,
            "kind_id": kind.pk,
            "name": name,
            "commune_id": commune.pk,
        }
        parsed = {
            "reference": reference,
            "address": address,
            "postal_code": postal_code or "",
            "latitude": latitude,
            "longitude": longitude,
            "opening_hours": hours or "",
            "phone": phone or "",
        }
        for column, field_name in _OPTIONAL_FIELDS.items():
            if row.has(column):
                values[field_name] = parsed[column]
        if reference:
            self.same_reference.add((member.pk, reference), row, "reference")
        else:
            self.same_name.add((member.pk, normalize(name), commune.pk), row, "name")
        return values

    def _check_territory(self, row: Row, member: Member, commune: Commune) -> None:
        if commune.code not in self.members.territory(member):
            row.fail(
                "commune",
                _("%(code)s (%(name)s) is outside the territory of %(member)s.")
                % {"code": commune.code, "name": commune.name, "member": member},
            )

    def match(self, row: Row, values: dict[str, Any]) -> Site | None:
        """The existing site this row updates (update mode), after checking that a new site
        would not clash with one already recorded."""
        member_id, reference = values["member_id"], values.get("code", "")
        existing = self.by_reference.get((member_id, reference)) if reference else None
        if self.mode == ImportMode.UPDATE:
            return existing
        if existing is not None:
            row.fail(
                "reference",
                _(
                    "%(member)s already has a site with the reference %(reference)s (“%(site)s”). To change "
                    "existing sites, import the file in update mode."
                )
                % {"member": self.members.by_id[member_id], "reference": reference, "site": existing.name},
            )
        elif not reference:
            twin = self.by_name.get((member_id, normalize(values["name"]), values["commune_id"]))
            if twin is not None:
                row.fail(
                    "name",
                    _(
                        "%(member)s already has a site named “%(name)s” in this commune (was this file "
                        "imported already?). Give the new site another name, or a reference."
                    )
                    % {"member": self.members.by_id[member_id], "name": twin.name},
                )
        return None

    def report_duplicates(self) -> None:
        self.same_reference.report(
            lambda key, lines: (
                _("The reference %(reference)s of this member is also on line %(lines)s.")
                % {"reference": key[1], "lines": lines_list(lines)}
            )
        )
        self.same_name.report(
            lambda key, lines: (
                _(
                    "A site with this name, member and commune is also on line %(lines)s: give each a reference "
                    "or a distinct name."
                )
                % {"lines": lines_list(lines)}
            )
        )


# Site field -> the column that sets it, in the order of the columns.
_COLUMN_OF = {
    "member_id": "member",
    "kind_id": "kind",
    "name": "name",
    **{field_name: column for column, field_name in _OPTIONAL_FIELDS.items()},
    "commune_id": "commune",
}


def _described_changes(row: Row, site: Site, values: dict[str, Any], changed: set[str]) -> list[str]:
    """What the row changes, column by column as the file names them. A kind or a commune
    is named only: its value is in the file, and the site's page shows the one recorded."""
    described = []
    for field_name in sorted(changed, key=list(_COLUMN_OF).index):
        header = row.names.get(_COLUMN_OF[field_name], _COLUMN_OF[field_name])
        if field_name.endswith("_id"):
            described.append(header)
        else:
            described.append(change_text(header, getattr(site, field_name), values[field_name]))
    return described


def validate_sites(*, operator: Operator, data: bytes, mode: str) -> SitePlan:
    """Check a sites file row by row, reporting every problem; nothing is written."""
    report = Report(kind=ImportKind.SITES, mode=mode)
    plan = SitePlan(report)
    table = read_table(data, SITES, report)
    if table is not None and mode == ImportMode.UPDATE and "reference" not in table.positions:
        report.add(
            table.header_line,
            "reference",
            _("In update mode the column “reference” is required: it is how each site is found."),
        )
        report.rows_checked = False
        table = None
    if table is None:
        report.sort()
        return plan
    rows = [(line, row_values(line, cells, table, report)) for line, cells in table.rows]
    checker = _SiteChecker(operator, mode, report, CommuneIndex(v.get("commune", "") for _l, v in rows if v))
    planned: list[tuple[Row, dict[str, Any], Site | None]] = []
    for line, cells in rows:
        if cells is None:
            continue
        row = Row(line, cells, table.names, report, identifiers=SITES.identifiers)
        values = checker.check(row)
        if values is not None:
            planned.append((row, values, checker.match(row, values)))
    checker.report_duplicates()
    for row, values, existing in planned:
        if row.failed:
            continue
        written = row.values.get("opening_hours", "")
        if written and values["opening_hours"] != written:
            report.add_note(
                row.line,
                row.names["opening_hours"],
                _("“%(written)s” is recorded as “%(recorded)s”.")
                % {"written": written, "recorded": values["opening_hours"]},
            )
        if existing is None:
            plan.creates.append(Site(operator_id=operator.pk, **values))
            continue
        changed = {name for name, value in values.items() if getattr(existing, name) != value}
        if changed:
            report.add_change(row.line, existing.code, _described_changes(row, existing, values, changed))
            for name in changed:
                setattr(existing, name, values[name])
            plan.updates.append(existing)
            plan.update_fields |= {name.removesuffix("_id") for name in changed}
        else:
            report.unchanged += 1
    report.to_create, report.to_update = len(plan.creates), len(plan.updates)
    report.sort()
    return plan
