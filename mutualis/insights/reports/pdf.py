"""Drawing report PDFs with reportlab (pure Python): an A4 document, French text, charts
with their values written on them, and tables.

What reportlab gives and what it does not (docs/reports.md): the document's title, author,
subject and language (`/Lang (fr-FR)` in the catalog, ISO 32000-1 §14.9.2.1) are set; a
*tagged* PDF (structure tree, PDF/UA) is not possible with reportlab's open-source edition,
so every chart is followed by a table of the same numbers and its values are printed on
the bars: nothing is said by colour alone (WCAG 2.2 1.4.1).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

# Dark enough against white for bars (>= 3:1) and text (>= 4.5:1); the same blue as the
# web charts (insights.charts), so the PDF and the page look alike.
BAR = colors.HexColor("#1d4f91")
BAR_ALT = colors.HexColor("#a8430c")
TEXT = colors.HexColor("#1e1e1e")
GRID = colors.HexColor("#949494")
HEADER_FILL = colors.HexColor("#e8edf5")
WIDTH = A4[0] - 40 * mm  # the frame's width between the margins
# Helvetica's WinAnsi encoding has no narrow no-break space (U+202F, French number
# grouping in some locales): it would print as a black box. The plain no-break space is in it.
NNBSP = "\u202f"
NBSP = "\xa0"
# What a chart or a table writes where there is no value (nothing to measure).
MISSING = "–"


def pdf_text(value: Any) -> str:
    """Text the standard PDF fonts can print."""
    return str(value).replace(NNBSP, NBSP)


def number(value: float | int | None, decimals: int = 0) -> str:
    """A number as French readers write it: 1 234 and 4,4."""
    if value is None:
        return "–"
    return pdf_text(formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True))


def percent(value: float | None) -> str:
    return "–" if value is None else f"{number(value)}{NBSP}%"


_styles = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_styles["Title"], alignment=TA_LEFT, fontSize=20, leading=24),
    "subtitle": ParagraphStyle("subtitle", parent=_styles["Normal"], fontSize=12, leading=15, textColor=TEXT),
    "h2": ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=14, leading=18, spaceBefore=10),
    "body": ParagraphStyle("body", parent=_styles["Normal"], fontSize=10.5, leading=14, textColor=TEXT),
    "summary": ParagraphStyle(
        "summary", parent=_styles["Normal"], fontSize=12, leading=17, textColor=TEXT, spaceAfter=4
    ),
    "small": ParagraphStyle("small", parent=_styles["Normal"], fontSize=8.5, leading=11, textColor=TEXT),
}


def para(text: str, style: str = "body") -> Paragraph:
    from xml.sax.saxutils import escape

    return Paragraph(escape(pdf_text(text)), STYLES[style])


@dataclass(frozen=True)
class Document:
    title: str
    author: str
    subject: str
    footer: str


def render(document: Document, story: list[Flowable], *, compress: bool = True) -> bytes:
    """The PDF's bytes. `compress=False` leaves page streams readable (tests search them)."""
    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(TEXT)
        canvas.drawString(20 * mm, 10 * mm, pdf_text(document.footer))
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, pdf_text(f"{doc.page}"))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=pdf_text(document.title),
        author=pdf_text(document.author),
        subject=pdf_text(document.subject),
        creator="Mutualis",
        lang="fr-FR",
        pageCompression=1 if compress else 0,
        # The same data gives the same bytes (no random document id, fixed dates): a
        # regenerated report that did not change is the same file.
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, widths: Sequence[float] | None = None
) -> Table:
    """A table with a header row repeated on each page; numbers right-aligned."""
    data = [[para(h, "small") for h in headers]]
    for row in rows:
        data.append([para(c, "small") if isinstance(c, str) else para(number(c), "small") for c in row])
    result = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    result.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, TEXT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return result


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    horizontal: bool = False,
    value_format: Callable[[float], str] = lambda v: number(v),
    max_value: float | None = None,
    height: float = 62 * mm,
    missing_note: str = "",
) -> KeepTogether:
    """One series of bars, each with its value printed at its end, under a written title.
    A value of None (nothing to measure: a share of no request) is no bar and says "–", and
    `missing_note` under the chart says what the dash means (drawn as 0, an empty month read
    as "0 % on time")."""
    clean = [v if v is not None else 0 for v in values]
    top = max_value if max_value is not None else max([*clean, 1])
    drawing = Drawing(WIDTH, height)
    chart: Any = HorizontalBarChart() if horizontal else VerticalBarChart()
    if horizontal:
        chart.x, chart.y = 55 * mm, 4 * mm
        chart.width, chart.height = WIDTH - 75 * mm, height - 8 * mm
    else:
        chart.x, chart.y = 12 * mm, 14 * mm
        chart.width, chart.height = WIDTH - 16 * mm, height - 22 * mm
    chart.data = [clean]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.visibleGrid = False
    chart.valueAxis.strokeColor = GRID
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: value_format(v)
    chart.categoryAxis.categoryNames = [pdf_text(label) for label in labels]
    chart.categoryAxis.strokeColor = GRID
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    if horizontal:
        chart.categoryAxis.reverseDirection = 1  # the first category at the top, as read
        chart.categoryAxis.labels.boxAnchor = "e"
    elif len(labels) > 8:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
    # Each bar says its value (the colour says nothing on its own).
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7
    chart.barLabels.fillColor = TEXT
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[MISSING if v is None else value_format(v) for v in values]]
    chart.barLabels.nudge = 6 if horizontal else 5
    chart.barLabels.boxAnchor = "w" if horizontal else "s"
    drawing.add(chart)
    parts: list[Flowable] = [para(title, "h2"), drawing]
    if missing_note and any(v is None for v in values):
        parts.append(para(missing_note, "small"))
    return KeepTogether(parts)


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)
