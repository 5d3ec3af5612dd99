"""The member's monthly PDF: a month without a request to judge is a dash, not "0 %" on
time; and what was open at the month's end, read once through the tickets' copies, is
what the tickets say (closed without being resolved included).

Found by probing the demo: a member's first report drew ten months before its first
request as "0 %" taken in charge within the deadlines; at a million tickets, counting what
was open at the month's end read all the member's tickets three times (560 of 740 ms)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from mutualis.insights.reports import member_monthly, pdf
from mutualis.insights.reports.periods import month
from mutualis.servicedesk.models import Ticket, TicketState
from tests.conftest import Cast

from .reports_support import AS_OF, _Numbers, at, known_month, ticket

pytestmark = pytest.mark.django_db

OCTOBER = month(dt.date(2026, 10, 1))
STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj")


def printed(content: bytes) -> list[str]:
    """Every string the PDF's pages print, in order (an uncompressed PDF, WinAnsi text)."""

    def unescape(raw: bytes) -> str:
        out, i = bytearray(), 0
        while i < len(raw):
            if raw[i : i + 1] == b"\\":
                octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
                if octal:
                    out.append(int(octal.group(), 8))
                    i += 1 + len(octal.group())
                    continue
                out += raw[i + 1 : i + 2]
                i += 2
                continue
            out += raw[i : i + 1]
            i += 1
        return out.decode("cp1252")

    # The no-break spaces of French numbers, as plain spaces.
    return [unescape(m.group(1)).replace("\xa0", " ") for m in STRING.finditer(content)]


def test_months_without_a_request_to_judge_are_a_dash_not_zero_percent(cast: Cast) -> None:
    # Member A's year: requests from August 2026 only, deadlines to judge in October only.
    known_month(cast)
    with translation.override("fr"):
        content, _text = member_monthly.build(cast.member_a, OCTOBER, compress=False, as_of=AS_OF)
        note = translation.gettext("–: no request whose deadline to take charge could be judged that month.")
    strings = printed(content)
    start = strings.index("Demandes prises en charge dans les délais, par mois (%)")
    chart = strings[start : strings.index(note.replace("\xa0", " "), start) + 1]
    # Eleven months with nothing to judge: a dash on each, and the note that says why.
    assert chart.count("–") == 11
    assert "67 %" in chart  # October: two of three taken in charge within the deadlines
    # "0 %" only on the axis, once: no month drawn as none on time.
    assert chart.count("0 %") == 1
    assert note.startswith("– : ")


def test_a_chart_of_values_all_there_says_no_dash_nor_note() -> None:
    with translation.override("fr"):
        story = [
            pdf.bar_chart(
                "Parts",
                ["a", "b"],
                [50.0, 0.0],
                value_format=pdf.percent,
                max_value=100,
                missing_note="Note sur les tirets.",
            )
        ]
        content = pdf.render(pdf.Document("t", "a", "s", "f"), story, compress=False)
    strings = printed(content)
    assert "50 %" in strings
    assert strings.count("0 %") == 2  # the axis, and b's measured zero
    assert "–" not in strings
    assert "Note sur les tirets." not in strings


def test_open_at_the_month_s_end_is_what_the_tickets_say(cast: Cast) -> None:
    known = known_month(cast)
    numbers = _Numbers()
    numbers.value = 100
    # Closed straight away on 20 October, never resolved: not open at the month's end.
    ticket(
        cast,
        known,
        numbers,
        created_at=at("2026-10-05"),
        state=TicketState.CLOSED,
        closed_at=at("2026-10-20"),
    )
    # Closed without being resolved on 3 November: still open on 1 November at midnight.
    ticket(
        cast,
        known,
        numbers,
        site=known.school,
        created_at=at("2026-09-20"),
        state=TicketState.CLOSED,
        closed_at=at("2026-11-03"),
    )
    # Resolved on 2 November: open at the month's end.
    ticket(
        cast,
        known,
        numbers,
        created_at=at("2026-10-29"),
        state=TicketState.RESOLVED,
        resolved_at=at("2026-11-02"),
    )
    # Member B's ticket open then: not member A's.
    ticket(cast, known, numbers, site=cast.site_b, created_at=at("2026-10-12"))
    with CaptureQueriesContext(connection) as queries:
        figures = member_monthly.compute(cast.member_a, OCTOBER, as_of=AS_OF)
    expected = Ticket.objects.filter(member=cast.member_a).filter(member_monthly.open_at(OCTOBER.end_at))
    # t3, t4, August's, and the two above that were open on 1 November.
    assert figures.open_at_end == expected.count() == 5
    assert sorted(t.number for t in figures.oldest_open) == sorted(expected.values_list("number", flat=True))
    assert [t.age_days for t in figures.oldest_open] == [91, 41, 16, 3, 2]
    assert list(figures.open_by_age.values()) == [2, 1, 2]
    assert figures.by_site == [("Mairie de Versailles", 6, 3), ("École Jules Ferry", 1, 2)]
    # The member's tickets are read once for what was open at the month's end (closing
    # dates are only on the tickets), not once for each of the three figures.
    reading_closings = [q["sql"] for q in queries.captured_queries if "closed_at" in q["sql"]]
    assert len(reading_closings) == 1
