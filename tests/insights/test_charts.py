"""The SVG charts: an accessible name and description, series told apart without colour,
the data table, escaped text, and a template that renders it all."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from mutualis.insights.charts import COLOURS, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output, in a test


def test_a_bar_chart_is_named_described_and_tabled() -> None:
    chart = bar_chart(
        title="Incidents per month",
        labels=["Jan", "Feb", "Sep"],
        series={"Tablets": [2, 3, 10], "Video": [1, 0, 4]},
        value_label="incidents",
        label_header="Month",
        links={"Tablets": ["/desk/?a=1", None, "/desk/?a=9"]},
    )
    root = parse(chart.svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 640 ")
    ids = root.get("aria-labelledby", "").split()
    found = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [found[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    assert found[ids[0]].text == "Incidents per month"
    assert "highest: 10 (Sep, Tablets)" in (found[ids[1]].text or "")
    # One pattern per series (solid, hatched), and a legend naming them in words.
    patterns = root.findall(f".//{SVG}pattern")
    assert len(patterns) == 2
    assert patterns[0].get("id") != patterns[1].get("id")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Tablets" in texts
    assert "Video" in texts
    assert "10" in texts  # values written on the bars
    # Drill-down on the bars for the pointer (the page's script follows data-href), named in
    # a tooltip; no link inside the image: the data table carries the same links (below).
    assert root.findall(f".//{SVG}a") == []
    bars = root.findall(f".//{SVG}g[@data-href]")
    assert [bar.get("data-href") for bar in bars] == ["/desk/?a=1", "/desk/?a=9"]
    assert bars[1].findtext(f"{SVG}title") == "Sep, Tablets: 10"
    assert chart.columns == ["Month", "Tablets", "Video"]
    assert chart.rows == [["Jan", 2, 1], ["Feb", 3, 0], ["Sep", 10, 4]]
    assert chart.table[2] == [("Sep", None), (10, "/desk/?a=9"), (4, None)]


def test_a_horizontal_bar_chart_and_many_bars() -> None:
    chart = bar_chart(
        title="By member",
        labels=["Versailles", "Nanterre"],
        series={"n": [32, 3]},
        value_label="incidents",
        horizontal=True,
    )
    root = parse(chart.svg)
    assert "Versailles" in [t.text for t in root.iter(f"{SVG}text")]
    many = bar_chart(
        title="Days", labels=[str(i) for i in range(40)], series={"n": list(range(40))}, value_label="n"
    )
    assert "39" not in [
        t.text
        for t in parse(many.svg).iter(f"{SVG}text")
        if t.get("text-anchor") == "middle" and not t.get("transform")
    ]
    empty = bar_chart(title="Nothing", labels=[], series={"n": []}, value_label="n")
    assert "no data" in empty.svg


def test_values_are_written_above_bars_only_where_they_fit() -> None:
    def values(count: int, value: int) -> list[str]:
        chart = bar_chart(
            title="Hours",
            labels=[f"{h}h" for h in range(count)],
            series={"n": [value] * count},
            value_label="n",
        )
        return [t.text or "" for t in parse(chart.svg).iter(f"{SVG}text") if t.text == "2,027"]

    # 24 hourly counts of four digits would run into each other: the table says them.
    assert values(24, 2027) == []
    # Twelve months of the same counts have room.
    assert len(values(12, 2027)) == 12


def test_a_line_chart_tells_series_apart_without_colour() -> None:
    chart = line_chart(
        title="Forecast",
        x_labels=["Jan", "Feb", "Mar", "Apr"],
        series={"Observed": [3, None, 5, 6], "Forecast": [None, None, 5, 7]},
        value_label="incidents",
        band=([None, None, 4, 5], [None, None, 6, 9]),
        band_label="80% interval",
    )
    root = parse(chart.svg)
    paths = [p for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(paths) == 2
    assert paths[0].get("stroke-dasharray") != paths[1].get("stroke-dasharray")
    assert paths[0].get("d", "").count("M") == 2  # the gap breaks the line
    assert len(root.findall(f".//{SVG}polygon")) == 1
    assert "80% interval" in [t.text for t in root.iter(f"{SVG}text")]
    assert chart.columns == ["Label", "Observed", "Forecast", "80% interval – low", "80% interval – high"]
    assert chart.rows[3] == ["Apr", 6, 7, 5, 9]


def test_text_is_escaped() -> None:
    chart = bar_chart(title="<script>x</script>", labels=["a & b"], series={'"q"': [1]}, value_label="<n>")
    assert "<script>" not in chart.svg
    parse(chart.svg)  # well-formed


def test_colours_contrast_with_white() -> None:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in COLOURS:
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, colour  # WCAG 1.4.3 AA, text included


def test_the_template_renders_figure_caption_and_table() -> None:
    chart = bar_chart(
        title="Incidents per month",
        labels=["Sep"],
        series={"n": [10]},
        value_label="incidents",
        links={"n": ["/x/"]},
    )
    html = render_to_string("insights/_chart.html", {"chart": chart})
    # The drawing in a box of its own, named after the chart: the page's width's and the
    # phone's, the CSS showing one of them.
    assert re.search(
        r'<figure[^>]*>\s*<div class="table-scroll chart-box" tabindex="0" role="region" '
        r'aria-label="Incidents per month"><div class="chart-wide"><svg[^>]*viewBox="0 0 640 [^"]*"'
        r'.*</svg></div><div class="chart-narrow"><svg[^>]*viewBox="0 0 360 ',
        html,
        re.DOTALL,
    )
    assert "<figcaption>Incidents per month</figcaption>" in html
    assert "<summary>Chart data (table)</summary>" in html
    assert "<caption>Incidents per month</caption>" in html
    assert '<th scope="row">Sep</th>' in html
    assert '<a href="/x/">10</a>' in html


# What `_chart.html` wrote for each cell with the template language, before the rows were
# written in Python (Chart.body); the two must agree cell for cell.
TEMPLATE_ROWS = (
    "{% for row in chart.table %}"
    "<tr>{% for value, link in row %}"
    '{% if forloop.first %}<th scope="row">{% else %}<td class="num">{% endif %}'
    '{% if link %}<a href="{{ link }}">{% endif %}'
    '{% if value is None %}–{% elif forloop.first %}{{ value }}{% else %}{{ value|floatformat:"-1g" }}{% endif %}'
    "{% if link %}</a>{% endif %}"
    "{% if forloop.first %}</th>{% else %}</td>{% endif %}"
    "{% endfor %}</tr>\n"
    "{% endfor %}"
)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_table_rows_read_as_the_template_wrote_them(language: str) -> None:
    from django.template import engines

    from mutualis.insights.charts import Chart

    chart = Chart(
        title="t",
        svg=mark_safe("<svg/>"),
        columns=["Name", "A", "B", "C"],
        rows=[
            ["Collège <Jean> & fils", 1234567, 12.25, None],
            ["Écoles", 0, -3, 1234.5],
            ["x", 7.0, 2.96, 1_000_000],
        ],
        links=[[None, "/desk/?member=1&state=", None, "/x?a=1"], ["/l?a=<b>", None]],
    )
    with translation.override(language):
        expected = engines["django"].from_string(TEMPLATE_ROWS).render({"chart": chart}).strip()
        assert str(chart.body) == expected
    assert "&lt;Jean&gt; &amp; fils" in expected  # escaped once, as text
    assert 'href="/desk/?member=1&amp;state="' in expected
