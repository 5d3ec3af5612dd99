"""The import verbs: record a file with its dry-run report, then apply it all or nothing.

Pages and the `import_sites` / `import_assets` commands both call these; neither repeats
the logic.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from typing import TYPE_CHECKING, Protocol

from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.registry.models import ImportBatch, ImportKind, ImportMode, ImportStatus, Operator

from .assets import ASSETS, validate_assets
from .columns import ImportSpec
from .reading import read_table
from .report import WHOLE_FILE, Problem, Report, visible
from .sites import SITES, validate_sites

if TYPE_CHECKING:
    from mutualis.people.models import User

logger = logging.getLogger(__name__)

SPECS: dict[str, ImportSpec] = {ImportKind.SITES: SITES, ImportKind.ASSETS: ASSETS}


class Plan(Protocol):
    report: Report

    def apply(self, *, by: User | None, note: str) -> None: ...


class ImportRefusedError(Exception):
    """The batch cannot be applied in its present state (already imported, has errors…)."""


def validate(*, kind: str, operator: Operator, data: bytes, mode: str) -> Plan:
    """Check a file of `kind` for `operator`: the report, and what applying would write."""
    if mode not in ImportMode.values:
        raise ValueError(f"unknown import mode {mode!r}")
    plan: Plan
    if kind == ImportKind.SITES:
        plan = validate_sites(operator=operator, data=data, mode=mode)
    elif kind == ImportKind.ASSETS:
        plan = validate_assets(operator=operator, data=data, mode=mode)
    else:
        raise ValueError(f"unknown import kind {kind!r}")
    if not plan.report.rows_checked:
        _name_the_right_kind(plan.report, kind=kind, data=data)
    return plan


def _name_the_right_kind(report: Report, *, kind: str, data: bytes) -> None:
    """A header unusable for `kind` but right for the other kind: the file was uploaded as
    the wrong kind. One problem saying so replaces the list of unknown and missing columns,
    which would have the person rename every column."""
    for other, spec in SPECS.items():
        if other == kind:
            continue
        trial = Report(kind=other, mode=report.mode)
        if read_table(data, spec, trial) is None or not trial.rows_checked:
            continue
        header = [p for p in report.problems if p.line != WHOLE_FILE]
        line = min((p.line for p in header), default=1)
        report.problems = [
            Problem(
                line,
                "",
                _(
                    "This file holds %(found)s, not %(chosen)s: its header names the columns of %(found)s. "
                    "Import it again choosing “%(found)s”."
                )
                % {"found": ImportKind(other).label, "chosen": ImportKind(kind).label},
            )
        ]
        return


def create_batch(
    *, operator: Operator, kind: str, mode: str, file_name: str, data: bytes, by: User | None = None
) -> ImportBatch:
    """Keep the uploaded file and its dry-run report; nothing is imported yet.

    The batch is `ready` when the file is clean, `invalid` otherwise: the report lists
    every problem, and the file stays findable with who uploaded it.
    """
    report = validate(kind=kind, operator=operator, data=data, mode=mode).report
    batch = ImportBatch(
        operator=operator,
        kind=kind,
        mode=mode,
        # A name is only shown: a control character in it (PostgreSQL refuses a NUL) is replaced.
        file_name=visible(file_name)[: ImportBatch._meta.get_field("file_name").max_length or 255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=by,
        status=ImportStatus.READY if report.ok else ImportStatus.INVALID,
        report=report.as_json(),
    )
    batch.file.save("upload.csv", ContentFile(data), save=False)
    batch.save()
    return batch


def apply_batch(*, batch: ImportBatch, by: User | None = None) -> ImportBatch:
    """Import a ready batch, all or nothing.

    The file is checked again from scratch inside the transaction that writes: the
    registry may have changed since the dry run (a tag taken meanwhile, a site removed).
    If anything is wrong now, nothing is written and the batch is marked `invalid` with
    the new report; if the database refuses a write, everything is rolled back and the
    batch is marked `failed`.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("operator").get(pk=batch.pk)
        if locked.status != ImportStatus.READY:
            raise ImportRefusedError(
                _("Import #%(id)s cannot be applied: its status is “%(status)s”.")
                % {"id": locked.pk, "status": locked.get_status_display()}
            )
        with locked.file.open("rb") as stored:
            data = stored.read()
        plan = validate(kind=locked.kind, operator=locked.operator, data=data, mode=locked.mode)
        report = plan.report
        if not report.ok:
            locked.status = ImportStatus.INVALID
        else:
            note = _("Imported from %(file)s (import #%(id)s)") % {"file": locked.file_name, "id": locked.pk}
            try:
                # A savepoint: a refused write undoes every write of the import, and the
                # batch can still be marked failed in the same transaction.
                with transaction.atomic():
                    plan.apply(by=by, note=note[:500])
            except DatabaseError as exc:
                logger.exception("Import #%s failed while writing", locked.pk)
                report.add(
                    WHOLE_FILE,
                    "",
                    _("The database refused the import (%(reason)s); nothing was imported.")
                    % {"reason": exc},
                )
                locked.status = ImportStatus.FAILED
            else:
                locked.status = ImportStatus.APPLIED
                locked.applied_at, locked.applied_by = timezone.now(), by
        locked.report = report.as_json()
        locked.save(update_fields=["status", "report", "applied_at", "applied_by"])
    return locked


def example_csv(kind: str) -> bytes:
    """An example file of `kind`, as a French spreadsheet saves it (UTF-8 with BOM, `;`)."""
    spec = SPECS[kind]
    # Only the columns the example uses: an always-empty column would only puzzle.
    used = [i for i in range(len(spec.columns)) if any(row[i] for row in spec.example_rows)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([spec.columns[i].name for i in used])
    writer.writerows([[row[i] for i in used] for row in spec.example_rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
