"""Imports pages, for the operator's admins: upload, dry-run report, apply, history.

Every batch is fetched through `ImportBatch.objects.visible_to(scope)`: another operator's
admin gets 404, any other role 403 (from `operator_admin_only`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualis.lib.tabular import EXPORT_FORMATS, Column, export_response
from mutualis.people.tenancy import get_visible_or_404
from mutualis.web.decorators import operator_admin_only

from .imports import SPECS, ImportRefusedError, Report, apply_batch, create_batch, example_csv
from .imports.columns import ImportSpec
from .imports.forms import UploadForm
from .imports.workbook import is_workbook
from .models import ImportBatch, ImportKind, ImportStatus

BATCHES_PER_PAGE = 50
PROBLEMS_PER_PAGE = 100

PROBLEM_COLUMNS = [
    Column(gettext_lazy("Line"), lambda p: p.line or ""),
    Column(gettext_lazy("Column"), lambda p: p.column),
    Column(gettext_lazy("Problem"), lambda p: p.message),
]


def _kinds() -> list[tuple[str, ImportSpec]]:
    return [(str(ImportKind(kind).label), spec) for kind, spec in SPECS.items()]


@operator_admin_only
def import_list(request: HttpRequest) -> HttpResponse:
    batches = ImportBatch.objects.visible_to(request.scope).select_related("created_by", "applied_by")  # type: ignore[attr-defined]
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "registry/imports/list.html", {"page": page})


@operator_admin_only
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = create_batch(
            operator=request.scope.operator,  # type: ignore[attr-defined]
            kind=form.cleaned_data["kind"],
            mode=form.cleaned_data["mode"],
            file_name=upload.name or "upload.csv",
            data=upload.read(),
            by=request.user,  # type: ignore[arg-type]
        )
        return redirect("registry:import-detail", pk=batch.pk)
    return render(request, "registry/imports/new.html", {"form": form, "kinds": _kinds()})


@operator_admin_only
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch, request.scope, pk=pk)  # type: ignore[attr-defined]
    report = Report.from_json(batch.report)
    problems = Paginator(report.problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/imports/detail.html",
        {
            "batch": batch,
            "report": report,
            "page": problems,
            "per_column": report.problems_per_column() if len(report.problems) > 1 else [],
            "can_apply": batch.status == ImportStatus.READY,
            "earlier": ImportBatch.objects.visible_to(request.scope).earlier_import_of(batch),  # type: ignore[attr-defined]
        },
    )


@operator_admin_only
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch, request.scope, pk=pk)  # type: ignore[attr-defined]
    try:
        batch = apply_batch(batch=batch, by=request.user)  # type: ignore[arg-type]
    except ImportRefusedError as exc:
        batch.refresh_from_db(fields=["status"])
        if batch.status == ImportStatus.APPLIED:
            # Sent twice (a double click, a reload of the sent form): the first one imported it.
            messages.info(request, _("This file has been imported already; it was not imported twice."))
        else:
            messages.error(request, str(exc))
        return redirect("registry:import-detail", pk=batch.pk)
    report = Report.from_json(batch.report)
    if batch.status == ImportStatus.APPLIED:
        messages.success(request, _("Imported: %(counts)s.") % {"counts": report.counts()})
    elif batch.status == ImportStatus.FAILED:
        messages.error(request, _("Nothing was imported: the database refused the import (see below)."))
    else:
        messages.error(
            request,
            _("Nothing was imported: checked again just now, the file has problems (listed below)."),
        )
    return redirect("registry:import-detail", pk=batch.pk)


@operator_admin_only
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch, request.scope, pk=pk)  # type: ignore[attr-defined]
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    problems = Report.from_json(batch.report).problems
    return export_response(PROBLEM_COLUMNS, problems, filename=f"import-{batch.pk}-problems", fmt=fmt)


@operator_admin_only
def import_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file as it was uploaded: what was imported (or rejected), for the record."""
    batch = get_visible_or_404(ImportBatch, request.scope, pk=pk)  # type: ignore[attr-defined]
    stored = batch.file.open("rb")
    # A workbook is no CSV: browsers rename a download to match its type, and leave the
    # name of a plain binary download alone.
    content_type = "application/octet-stream" if is_workbook(stored.read(8)) else "text/csv"
    stored.seek(0)
    # Streamed rather than read into memory; a FileResponse is no HttpResponse subclass,
    # which the decorators' types expect, hence the ignore.
    response = FileResponse(stored, as_attachment=True, filename=batch.file_name, content_type=content_type)
    return response  # type: ignore[return-value]


@operator_admin_only
def import_columns(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/imports/columns.html", {"kinds": _kinds()})


@operator_admin_only
def import_example(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in SPECS:
        raise Http404
    response = HttpResponse(example_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mutualis-{kind}-example.csv"'
    return response
