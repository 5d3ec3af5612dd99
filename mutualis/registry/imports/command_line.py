"""What `mutualis import_sites` and `mutualis import_assets` share: the same verbs as the
imports pages, and a report printed one problem per line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.registry.models import ImportBatch, ImportKind, ImportMode, ImportStatus, Operator

from .batches import apply_batch, create_batch
from .reading import too_big_message
from .report import Report, number


def operator_for(slug: str | None) -> Operator:
    """The operator named by `slug`, or the only one when there is a single operator."""
    if slug:
        operator = Operator.objects.filter(slug=slug).first()
        if operator is None:
            known = ", ".join(Operator.objects.values_list("slug", flat=True)) or "—"
            raise CommandError(
                _("No operator has the identifier “%(slug)s” (known: %(known)s).")
                % {"slug": slug, "known": known}
            )
        return operator
    operators = list(Operator.objects.all()[:2])
    if not operators:
        raise CommandError(_("No operator exists yet: create one in the back-office first."))
    if len(operators) > 1:
        known = ", ".join(Operator.objects.values_list("slug", flat=True))
        raise CommandError(
            _("There are several operators (%(known)s): choose one with --operator.") % {"known": known}
        )
    return operators[0]


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help="the file: CSV (UTF-8 or Windows-1252; separated by ; , or tab) or Excel workbook (.xlsx)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report every problem, but import nothing (the check is recorded as an "
            "import that can be applied later from the imports page)",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="also update the rows already recorded, matched by their key (without it, a row naming "
            "one is an error); see docs/imports.md",
        )
        parser.add_argument(
            "--operator",
            metavar="SLUG",
            help="the operator whose members the file names (default: the only operator)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_for(options["operator"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        size = path.stat().st_size
        if size > settings.IMPORT_MAX_BYTES:
            raise CommandError(f"{path}: {too_big_message(size)}")
        batch = create_batch(
            operator=operator,
            kind=self.kind,
            mode=ImportMode.UPDATE if options["update"] else ImportMode.CREATE,
            file_name=path.name,
            data=path.read_bytes(),
            by=None,
        )
        self._print(batch)
        if batch.status != ImportStatus.READY:
            raise CommandError(self._refusal(batch))
        if options["dry_run"]:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Dry run: the file is clean; nothing was imported. Run again without --dry-run, or "
                        "apply import #%(id)s from the imports page."
                    )
                    % {"id": batch.pk}
                )
            )
            return
        batch = apply_batch(batch=batch, by=None)
        if batch.status != ImportStatus.APPLIED:
            self.stdout.write(_("Checked again before writing:"))
            self._print(batch)
            raise CommandError(self._refusal(batch))
        report = Report.from_json(batch.report)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported (import #%(id)s): %(counts)s.") % {"id": batch.pk, "counts": report.counts()}
            )
        )

    def _print(self, batch: ImportBatch) -> None:
        report = Report.from_json(batch.report)
        self.stdout.write(
            _("File: %(file)s (import #%(id)s, %(mode)s)")
            % {"file": batch.file_name, "id": batch.pk, "mode": batch.get_mode_display()}
        )
        if report.encoding:
            self.stdout.write(
                _("Read as %(encoding)s, columns separated by “%(delimiter)s”.")
                % {"encoding": report.encoding, "delimiter": report.delimiter_name()}
            )
        elif report.sheet:
            self.stdout.write(
                _("Read from the sheet “%(sheet)s” (sheets in the workbook: %(count)s).")
                % {"sheet": report.sheet, "count": number(report.sheet_count)}
            )
        counts = _(
            "Rows: %(rows)s; to create: %(create)s; to update: %(update)s; unchanged: %(unchanged)s"
        ) % {
            "rows": number(report.rows),
            "create": number(report.to_create),
            "update": number(report.to_update),
            "unchanged": number(report.unchanged),
        }
        if batch.kind == ImportKind.ASSETS:
            counts += _("; new models: %(models)s") % {"models": number(report.new_models)}
        self.stdout.write(counts + ".")
        for note in report.notes:
            self.stdout.write(str(note))
        for problem in report.problems:
            self.stdout.write(str(problem))
        if not report.rows_checked:
            self.stdout.write(_("The rows were not checked: fix the header line first."))

    def _refusal(self, batch: ImportBatch) -> str:
        count = batch.error_count
        return ngettext(
            "%(count)s problem found: nothing was imported (import #%(id)s).",
            "%(count)s problems found: nothing was imported (import #%(id)s).",
            count,
        ) % {"count": number(count), "id": batch.pk}
