"""When a list's `?export=csv|xlsx` makes a file: only if every filter it was given is valid.

A filter a list cannot use (another member's site, a team of another operator, a day that
does not exist) is said on the page, beside the filter, and the page shows what it can.
A file cannot say so: its reader would take the whole list for the filtered one. So an
export asked with an invalid filter makes no file: the list's page answers instead, with
status 400, its filters' errors and a message that nothing was exported.

A filter given twice (`?state=new&state=closed`) is refused the same way: the form reads
its last value, and a file of the closed tickets would pass for the new and closed ones.
The page itself still shows the last value; a page says which filters it used, a file
does not. A field that takes several values (a multiple choice) may be repeated.

A list's tab (the desk's queue, the ticket list's view) is not a form field but chooses
rows as one: given twice, it is refused too (`chosen_tab`).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mutualis.lib.query_strings import repeated_parameters
from mutualis.lib.tabular import EXPORT_FORMATS

# The fields whose widget reads every value of their name (`QueryDict.getlist`).
MULTI_VALUED = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)


@dataclass(frozen=True)
class ExportRequest:
    fmt: str | None  # the file to make ("csv", "xlsx"); None: answer with the page
    refused: bool = False  # asked for, with an invalid filter

    @property
    def status(self) -> int:
        """Of the page when it answers: a refused export is the client's error."""
        return HTTPStatus.BAD_REQUEST if self.refused else HTTPStatus.OK


def chosen_tab(request: HttpRequest, form: forms.Form, name: str, *, default: str, shown: str) -> str:
    """The tab `name` the query string chooses (a code of the list's tabs, checked by the
    caller), else `default`. Given more than once (`?queue=mine&queue=unassigned`, once
    shown and exported as its last value alone), `default` is shown and `form` gets an error
    saying so, which refuses an export (`export_request`); `shown` names the default tab."""
    values = request.GET.getlist(name)
    if len(values) > 1:
        form.add_error(
            None,
            _("%(times)d tabs are given at once: choose one. The tab “%(shown)s” is shown.")
            % {"times": len(values), "shown": shown},
        )
        return default
    return values[0] if values else default


def export_request(request: HttpRequest, *filters: forms.Form) -> ExportRequest:
    """What `?export=` asks of a list filtered by `filters`; a refusal is also a message on
    the page (the filters' own errors say which value is wrong, or which is given twice)."""
    fmt = request.GET.get("export")
    if fmt not in EXPORT_FORMATS:
        return ExportRequest(fmt=None)
    invalid = any(form.errors for form in filters)
    repeated = _repeated_filters(request, filters)
    for form, name, times in repeated:
        said = {"label": form[name].label, "times": times}
        messages.error(
            request,
            _("The filter “%(label)s” is given %(times)d times: choose a single value. Nothing was exported.")
            % said,
        )
        # Said in the filter box too, which then offers no export link: its links carry the
        # same query string, and would be refused again.
        form.add_error(
            None, _("The filter “%(label)s” is given %(times)d times: choose a single value.") % said
        )
    if invalid:
        messages.error(
            request,
            _(
                "Nothing was exported: a filter is not valid. Correct or remove the filters "
                "marked below, then export again."
            ),
        )
    if invalid or repeated:
        return ExportRequest(fmt=None, refused=True)
    return ExportRequest(fmt=str(fmt))


def _repeated_filters(
    request: HttpRequest, filters: tuple[forms.Form, ...]
) -> list[tuple[forms.Form, str, int]]:
    """The single-value fields of `filters` the query string gives more than once: (form,
    field name, how many times). Other parameters (the page, a tab) are not filters."""
    fields = {form.add_prefix(name): (form, name) for form in filters for name in form.fields}
    multiple = [key for key, (form, name) in fields.items() if isinstance(form.fields[name], MULTI_VALUED)]
    return [
        (*fields[key], times)
        for key, times in repeated_parameters(request.GET, repeatable=multiple).items()
        if key in fields
    ]
