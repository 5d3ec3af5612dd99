"""When a list's `?export=csv|xlsx` makes a file: only if every filter it was given is valid.

A filter a list cannot use (another member's site, a team of another operator, a day that
does not exist) is said on the page, beside the filter, and the page shows what it can.
A file cannot say so: its reader would take the whole list for the filtered one. So an
export asked with an invalid filter makes no file: the list's page answers instead, with
status 400, its filters' errors and a message that nothing was exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mutualis.lib.tabular import EXPORT_FORMATS


@dataclass(frozen=True)
class ExportRequest:
    fmt: str | None  # the file to make ("csv", "xlsx"); None: answer with the page
    refused: bool = False  # asked for, with an invalid filter

    @property
    def status(self) -> int:
        """Of the page when it answers: a refused export is the client's error."""
        return HTTPStatus.BAD_REQUEST if self.refused else HTTPStatus.OK


def export_request(request: HttpRequest, *filters: forms.Form) -> ExportRequest:
    """What `?export=` asks of a list filtered by `filters`; a refusal is also a message on
    the page (the filters' own errors say which value is wrong)."""
    fmt = request.GET.get("export")
    if fmt not in EXPORT_FORMATS:
        return ExportRequest(fmt=None)
    if any(form.errors for form in filters):
        messages.error(
            request,
            _(
                "Nothing was exported: a filter is not valid. Correct or remove the filters "
                "marked below, then export again."
            ),
        )
        return ExportRequest(fmt=None, refused=True)
    return ExportRequest(fmt=str(fmt))
