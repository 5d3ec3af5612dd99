"""Reading import files: encodings, separators, headers, ragged rows, line numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from mutualis.registry.models import Site
from tests.conftest import Cast

from .import_files import SITE_HEADER, check, csv_bytes, problems, reference_lists

pytestmark = pytest.mark.django_db

ROW = ("78646", "mairie", "Hôtel de ville", "HDV", "78000", "78646")


@pytest.fixture(autouse=True)
def _english(cast: Cast) -> Iterator[None]:
    reference_lists()
    with translation.override("en"):
        yield


def sites(cast: Cast, data: bytes):  # type: ignore[no-untyped-def]
    return check(cast.operator, "sites", data)


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [("utf-8", True, "UTF-8 (BOM)"), ("utf-8", False, "UTF-8"), ("cp1252", False, "Windows-1252")],
)
def test_utf8_with_or_without_bom_and_windows_1252_are_read_and_named(
    cast: Cast, encoding: str, bom: bool, expected: str
) -> None:
    report = sites(cast, csv_bytes(SITE_HEADER, [ROW], encoding=encoding, bom=bom))
    assert report.ok, problems(report)
    assert report.encoding == expected
    assert report.rows == 1


def test_windows_1252_accents_are_decoded_right(cast: Cast) -> None:
    from mutualis.registry.imports.sites import validate_sites

    plan = validate_sites(
        operator=cast.operator, data=csv_bytes(SITE_HEADER, [ROW], encoding="cp1252"), mode="create"
    )
    assert plan.creates[0].name == "Hôtel de ville"


def test_a_file_mixing_encodings_is_refused_at_the_first_bad_line(cast: Cast) -> None:
    data = csv_bytes(SITE_HEADER, [ROW]) + "78646;mairie;Médiathèque;MED;78000;78646\r\n".encode("cp1252")
    report = sites(cast, data)
    assert report.rows == 0
    assert problems(report)[0][:2] == (3, "")
    assert "mixes encodings" in problems(report)[0][2]


def test_bytes_that_are_no_text_encoding_are_refused(cast: Cast) -> None:
    report = sites(cast, csv_bytes(SITE_HEADER, []) + b"78646;mairie;Caf\x81\r\n")
    assert problems(report) == [
        (2, "", "The file is neither UTF-8 nor Windows-1252 text (byte 0x81). Save it as “CSV UTF-8”.")
    ]


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "This workbook is damaged and cannot be read."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "This is an Excel 97-2003 workbook (.xls), which is not read."),
    ],
)
def test_a_workbook_is_not_read_as_text(cast: Cast, start: bytes, message: str) -> None:
    # Workbooks are read as workbooks (see test_imports_workbooks.py), never decoded as text.
    report = sites(cast, start)
    assert len(report.problems) == 1
    assert report.problems[0].message.startswith(message)
    assert report.encoding == ""


def test_binary_garbage_is_not_text(cast: Cast) -> None:
    assert "not a text file" in sites(cast, b"\x00\x01\x02member").problems[0].message


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_says_so(cast: Cast, data: bytes) -> None:
    assert problems(sites(cast, data)) == [(0, "", "The file is empty.")]


def test_a_header_without_rows_is_reported(cast: Cast) -> None:
    assert problems(sites(cast, csv_bytes(SITE_HEADER, []))) == [
        (0, "", "The file has a header line but no rows.")
    ]


def test_a_file_without_header_line_says_the_first_line_must_name_the_columns(cast: Cast) -> None:
    report = sites(cast, csv_bytes(ROW, [ROW]))
    assert len(report.problems) == 1
    assert report.problems[0].line == 1
    assert report.problems[0].message.startswith(
        "The first line must name the columns (member;kind;name;reference"
    )
    assert not report.rows_checked


def test_oversize_files_are_refused_before_reading(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 50
    report = sites(cast, csv_bytes(SITE_HEADER, [ROW] * 3))
    assert len(report.problems) == 1
    assert "files up to 0 MB are accepted" in report.problems[0].message
    assert report.encoding == ""  # not even decoded


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_separator_is_found_from_the_header_line(cast: Cast, delimiter: str) -> None:
    header = (*SITE_HEADER, "opening_hours", "address")
    row = (*ROW, "Mo-Fr 08:30-12:00,13:30-17:30", "4, avenue de Paris")
    report = sites(cast, csv_bytes(header, [row], delimiter=delimiter))
    assert report.ok, problems(report)
    assert report.delimiter == delimiter


def test_commas_in_unquoted_values_do_not_mislead_the_guess(cast: Cast) -> None:
    data = (
        b"member;kind;name;reference;postal_code;commune;opening_hours\n"
        b"78646;mairie;Mairie, accueil;HDV;78000;78646;Mo-Fr 08:30-12:00,13:30-17:30\n"
    )
    report = sites(cast, data)
    assert report.ok, problems(report)
    assert report.delimiter == ";"


def test_a_header_with_an_unknown_separator_is_explained(cast: Cast) -> None:
    report = sites(cast, b"member|kind|name|commune\n78646|mairie|Mairie|78646\n")
    assert len(report.problems) == 1
    assert report.problems[0].message.startswith("No column separator found in the header line")


def test_excel_sep_line_names_the_separator_and_lines_still_count(cast: Cast) -> None:
    data = b"sep=,\r\n" + csv_bytes(
        SITE_HEADER, [ROW, ("78646", "mairie", "", "X", "78000", "78646")], delimiter=","
    )
    report = sites(cast, data)
    assert report.delimiter == ","
    assert problems(report) == [(4, "name", "This value is required; the cell is empty.")]


def test_missing_required_columns_are_named_with_their_other_names(cast: Cast) -> None:
    report = sites(cast, csv_bytes(("member", "name", "reference"), [("78646", "Mairie", "HDV")]))
    assert problems(report) == [
        (
            1,
            "kind",
            "The required column “kind” is missing. It may also be called: type, type_de_site, type_site, categorie.",
        ),
        (
            1,
            "commune",
            "The required column “commune” is missing. It may also be called: code_insee, insee, insee_code, code_commune.",
        ),
    ]
    assert not report.rows_checked


def test_an_unknown_column_is_named_with_the_closest_known_one(cast: Cast) -> None:
    report = sites(cast, csv_bytes((*SITE_HEADER, "lattitude", "colour"), [(*ROW, "48.8", "blue")]))
    assert problems(report) == [
        (1, "lattitude", "Unknown column “lattitude”: did you mean “latitude”?"),
        (
            1,
            "colour",
            "Unknown column “colour”. The columns are: member, kind, name, reference, address, postal_code, "
            "commune, latitude, longitude, opening_hours, phone.",
        ),
    ]


def test_the_same_column_twice_under_two_names_is_refused(cast: Cast) -> None:
    report = sites(cast, csv_bytes((*SITE_HEADER, "nom"), [(*ROW, "Autre nom")]))
    assert problems(report) == [
        (1, "nom", "Columns 3 (“name”) and 7 (“nom”) are both the column “name”: keep one.")
    ]
    assert Site.objects.filter(name="Hôtel de ville").count() == 0


def test_french_header_names_with_accents_and_spaces_are_accepted(cast: Cast) -> None:
    header = (
        "Adhérent",
        "Type",
        "Nom",
        "Code",
        "Code postal",
        "Code INSEE",
        "Horaires",
        "Téléphone",
        "Adresse",
    )
    row = (
        "78646",
        "Mairie",
        "Hôtel de ville",
        "HDV",
        "78000",
        "78646",
        "Mo-Fr 08:00-17:00",
        "01 30 97 80 00",
        "4 av.",
    )
    report = sites(cast, csv_bytes(header, [row]))
    assert report.ok, problems(report)
    assert report.to_create == 1


def test_an_unnamed_column_is_reported_but_empty_trailing_columns_are_ignored(cast: Cast) -> None:
    data = b"member;kind;;name;reference;postal_code;commune;;\n78646;mairie;x;Mairie;HDV;78000;78646;;\n"
    assert problems(sites(cast, data)) == [(1, "", "Column 3 has no name: name it or delete it.")]


def test_rows_with_too_many_or_too_few_cells_are_reported_each(cast: Cast) -> None:
    data = (
        "member;kind;name;reference;postal_code;commune\n"
        "78646;mairie;Mairie;HDV;78000;78646;\n"  # an empty extra cell: harmless
        "78646;mairie;École Jean-Macé; annexe;EJM;78000;78646\n"
        "78646;mairie;Salle;SAL;78646\n"
    ).encode()
    assert problems(sites(cast, data)) == [
        (
            3,
            "",
            "This row has 7 cells but the header has 6: is there a separator inside a value that should be "
            "quoted? First extra value: “78646”.",
        ),
        (4, "", "This row has 5 cells but the header has 6: a separator is missing."),
    ]


def test_line_numbers_count_physical_lines_of_quoted_multiline_values(cast: Cast) -> None:
    data = (
        "member;kind;name;reference;postal_code;commune;address\r\n"
        '78646;mairie;Mairie;HDV;78000;78646;"4 avenue de Paris\r\nBâtiment A\r\n2e étage"\r\n'
        "\r\n"
        "78646;mairie;Salle;SAL;78000;99999;\r\n"
    ).encode()
    assert problems(sites(cast, data)) == [
        (6, "commune", "No commune has the INSEE code “99999” in the territory reference.")
    ]


def test_an_unclosed_quote_is_reported_where_it_starts(cast: Cast) -> None:
    data = (
        "member;kind;name;reference;postal_code;commune\n"
        "78646;mairie;Mairie;HDV;78000;78646\n"
        '78646;mairie;"Salle des fêtes;SDF;78000;78646\n'
        "78646;mairie;Gymnase;GYM;78000;78646\n"
    ).encode()
    report = sites(cast, data)
    assert [(p.line, p.column) for p in report.problems] == [(3, "")]
    assert "never closed" in report.problems[0].message


def test_text_after_a_closing_quote_is_reported(cast: Cast) -> None:
    data = 'member;kind;name;reference;postal_code;commune\n78646;mairie;"Salle" des fêtes;SDF;78000;78646\n'.encode()
    report = sites(cast, data)
    assert [(p.line, p.column) for p in report.problems] == [(2, "")]
    assert "write a quote as two quotes" in report.problems[0].message


def test_utf16_unicode_text_from_excel_is_read(cast: Cast) -> None:
    report = sites(cast, csv_bytes(SITE_HEADER, [ROW], delimiter="\t", encoding="utf-16"))
    assert report.ok, problems(report)
    assert (report.encoding, report.delimiter) == ("UTF-16", "\t")
