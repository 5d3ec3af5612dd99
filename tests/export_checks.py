"""What every list's export tests check (mutualis/web/exports.py): an export asked with a
filter the list cannot use makes no file; the list's page answers, says why and which
filter, and offers no download of a list the filters do not say."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from django.http import HttpResponse

REFUSED = "Nothing was exported: a filter is not valid."
CORRECT_FIRST = "To export, first correct or remove the filters that are not valid."
DOWNLOAD_LINK = re.compile(r'<a [^>]*href="[^"]*[?&](amp;)?export=')


def refused_page(response: HttpResponse, *, field: str | None, absent: Iterable[str] = ()) -> str:
    """The page that answers a refused export (its text, English): status 400, no file,
    the refusal said, `field`'s error beside it (None: an error of the whole form) and
    nothing of `absent` (an outsider's names) on it."""
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    page = response.content.decode()
    assert REFUSED in page
    if field is not None:
        assert f'id="id_{field}_error"' in page  # what the box points to (aria-describedby)
    assert CORRECT_FIRST in page
    assert DOWNLOAD_LINK.search(page) is None
    for text in absent:
        assert text not in page
    return page


def repeated_page(response: HttpResponse, *, label: str, times: int = 2) -> str:
    """The page that answers an export asked with the filter `label` given `times` times
    (its text, English): status 400, no file, the filter named, no download link."""
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    page = response.content.decode()
    said = f"The filter “{label}” is given {times} times: choose a single value."
    assert f"{said} Nothing was exported." in page  # the message, above the list
    assert page.count(said) == 2  # and in the filter box
    assert CORRECT_FIRST in page
    assert DOWNLOAD_LINK.search(page) is None
    return page


def csv_rows(response: HttpResponse) -> list[list[str]]:
    """An export's CSV, header first; fails unless it is a file."""
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text), delimiter=";"))
