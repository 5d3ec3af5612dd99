"""The NGSI-LD query language (ETSI GS CIM 009 v1.8, 4.9) and scopeQ (4.19) on entities in
the hub's internal form. Pure functions: no database."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from mutualis.datahub.ngsild.context import active_context, core_context
from mutualis.datahub.ngsild.errors import BadRequestData
from mutualis.datahub.ngsild.query import MAX_PATTERN_LENGTH, Query, parse_q, parse_scope_q

D = "https://uri.etsi.org/ngsi-ld/default-context/"

STREETLIGHT: dict[str, Any] = {
    "id": "urn:ngsi-ld:Streetlight:0001",
    "type": [D + "Streetlight"],
    "scope": ["/Versailles/Eclairage"],
    "attrs": {
        # A multi-attribute: the default instance and a second datasetId (4.5.5).
        D + "temperature": [
            {"type": "Property", "value": 21.5, "unitCode": "CEL", "observedAt": "2026-11-23T10:00:00.000Z"},
            {
                "type": "Property",
                "value": 35,
                "unitCode": "CEL",
                "datasetId": "urn:ngsi-ld:Dataset:internal",
                "observedAt": "2026-11-23T10:05:00.000Z",
            },
        ],
        D + "name": [{"type": "Property", "value": "Rue de la Paroisse"}],
        D + "active": [{"type": "Property", "value": True}],
        D + "power": [{"type": "Property", "value": 0}],
        D + "installedAt": [
            {"type": "Property", "value": {"@type": "DateTime", "@value": "2021-05-01T08:00:00Z"}}
        ],
        D + "commissioned": [{"type": "Property", "value": "2021-05-03"}],
        D + "switchOn": [{"type": "Property", "value": "19:30:00"}],
        D + "tags": [{"type": "Property", "value": ["led", "smart"]}],
        D + "address": [
            {
                "type": "Property",
                "value": {
                    "streetAddress": "12 rue de la Paroisse",
                    "city": "Versailles",
                    "geo": {"zip": "78000"},
                },
            }
        ],
        D + "luminosity": [
            {
                "type": "Property",
                "value": 4200,
                # A sub-attribute (Property of Property), its name expanded like any attribute.
                D + "reliability": {"type": "Property", "value": 0.9},
            }
        ],
        D + "site": [{"type": "Relationship", "object": "urn:ngsi-ld:Site:42"}],
        D + "feeds": [{"type": "Relationship", "object": ["urn:ngsi-ld:Cabinet:1", "urn:ngsi-ld:Cabinet:2"]}],
        D + "caption": [
            {"type": "LanguageProperty", "languageMap": {"fr": "Lampadaire", "en": "Streetlight"}}
        ],
        D + "category": [{"type": "VocabProperty", "vocab": D + "road"}],
        D + "levels": [{"type": "ListProperty", "valueList": [10, 50, 100]}],
    },
}


def matches(q: str, entity: dict[str, Any] = STREETLIGHT) -> bool:
    return parse_q(q, core_context()).matches(entity)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # 4.9 existence: a bare attribute name.
        ("temperature", True),
        ("humidity", False),
        # Numbers: == != > >= < <=, integers and decimals.
        ("luminosity==4200", True),
        ("luminosity==4200.0", True),
        ("luminosity!=4200", False),
        ("luminosity>4199.5", True),
        ("luminosity>=4200", True),
        ("luminosity<4200", False),
        ("luminosity<=4200", True),
        ("power==0", True),
        ("power==-1", False),
        ("luminosity>4e3", True),
        # Multi-attributes: one instance satisfying the term is enough.
        ("temperature>30", True),
        ("temperature<22", True),
        ("temperature>40", False),
        ("temperature==35", True),
        # Strings: quoted, compared exactly or in lexicographic order.
        ('name=="Rue de la Paroisse"', True),
        ('name=="rue de la paroisse"', False),
        ('name!="Avenue de Paris"', True),
        ('name>"Rue"', True),
        ('name<"Rue"', False),
        # Booleans never equal numbers (True is not 1 here).
        ("active==true", True),
        ("active==false", False),
        ("active!=false", True),
        ("power==false", False),
        ("active==1", False),
        # A number never equals the string of its digits.
        ('luminosity=="4200"', False),
        # Value lists: any of (==), none of (!=).
        ("luminosity==1,4200,5", True),
        ("luminosity==1,2,3", False),
        ('name=="A","Rue de la Paroisse"', True),
        ("luminosity!=1,2,3", True),
        ("luminosity!=1,4200", False),
        # Ranges, bounds included.
        ("luminosity==4000..4200", True),
        ("luminosity==4201..5000", False),
        ("luminosity!=4000..4100", True),
        ('name=="Rue".."Rz"', True),
        # DateTimes (a typed @value too), Dates, Times compared as instants, not as text.
        ("installedAt>2021-01-01T00:00:00Z", True),
        ("installedAt==2021-05-01T10:00:00+02:00", True),
        ("installedAt<2021-05-01T07:59:59.999Z", False),
        ("installedAt==2021-04-01T00:00:00Z..2021-06-01T00:00:00Z", True),
        ("installedAt>2021-05-01", True),
        ("commissioned==2021-05-03", True),
        ("commissioned>2021-05-03T00:00:00Z", False),
        ("switchOn>19:00:00", True),
        ("switchOn<=19:29:59", False),
        ("switchOn==19:00:00..20:00:00", True),
        # Core members of an instance (4.9): observedAt, unitCode, datasetId.
        ("temperature.observedAt>=2026-11-23T10:05:00Z", True),
        ("temperature.observedAt>2026-11-23T10:05:00Z", False),
        ('temperature.unitCode=="CEL"', True),
        ("temperature.datasetId==urn:ngsi-ld:Dataset:internal", True),
        ('temperature.datasetId=="urn:ngsi-ld:Dataset:other"', False),
        ("temperature.datasetId", True),
        ("name.datasetId", False),
        ("name.createdAt", False),
        # Sub-attributes: a.b.
        ("luminosity.reliability>0.8", True),
        ("luminosity.reliability>0.95", False),
        ("luminosity.reliability", True),
        ("luminosity.accuracy", False),
        # Compound values: a[b], a[b.c], a[b][c].
        ('address[city]=="Versailles"', True),
        ('address[city]=="Paris"', False),
        ('address[geo.zip]=="78000"', True),
        ('address[geo][zip]=="78000"', True),
        ("address[geo.zip]", True),
        ("address[country]", False),
        ("luminosity[x]", False),
        # Arrays: one item satisfying the term is enough; != needs every item different.
        ('tags=="led"', True),
        ('tags=="solar"', False),
        ('tags!="led"', False),
        ('tags!="solar"', True),
        ("levels>90", True),
        ("levels==11..49", False),
        # Relationships compare their object (a URI, quoted or not; or one of a list).
        ("site==urn:ngsi-ld:Site:42", True),
        ('site=="urn:ngsi-ld:Site:42"', True),
        ("site==urn:ngsi-ld:Site:41,urn:ngsi-ld:Site:42", True),
        ("site!=urn:ngsi-ld:Site:42", False),
        ("feeds==urn:ngsi-ld:Cabinet:2", True),
        ("feeds!=urn:ngsi-ld:Cabinet:3", True),
        # LanguageProperty: any language, or one picked with [lang].
        ('caption=="Lampadaire"', True),
        ('caption[en]=="Streetlight"', True),
        ('caption[en]=="Lampadaire"', False),
        # VocabProperty: the term is expanded as a vocabulary term, or the IRI given as is.
        ('category=="road"', True),
        ('category=="park"', False),
        (f"category=={D}road", True),
        # Patterns (regular expressions, searched anywhere in strings).
        ("name~=Paroisse", True),
        ('name~="^Rue"', True),
        ("name~=^rue", False),
        ("name~=(?i)^rue", True),
        ("name~=(Paroisse|Paris)$", True),
        ('name~="de (la|le) P"', True),
        ("name!~=Paris", True),
        ("name!~=Paroisse", False),
        ("luminosity~=42", False),
        ('address[city]~="^Vers"', True),
        ('tags~="^sm"', True),
        # Combinations and grouping.
        ("temperature>30;luminosity>4000", True),
        ("temperature>30;luminosity>5000", False),
        ("temperature>40|luminosity>4000", True),
        ("temperature>40|luminosity>5000", False),
        ('(temperature>40|name~="^Rue");site==urn:ngsi-ld:Site:42', True),
        ("(temperature>40|humidity);site", False),
        ("((luminosity>1))", True),
        # Blanks around tokens are tolerated.
        (" luminosity >= 4200 ; active == true ", True),
    ],
)
def test_terms_and_operators(q: str, expected: bool) -> None:
    assert matches(q) is expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # 4.9: ";" (AND) binds tighter than "|" (OR).
        ("humidity;luminosity|active", True),  # (humidity;luminosity)|active
        ("active|humidity;luminosity", True),  # active|(humidity;luminosity)
        ("humidity;(luminosity|active)", False),
        ("(active|humidity);humidity", False),
        ("active|humidity;humidity", True),
        ("humidity|active;power", True),
        ("humidity|active;rain", False),
    ],
)
def test_and_binds_tighter_than_or(q: str, expected: bool) -> None:
    assert matches(q) is expected


def test_attribute_names_are_expanded_through_the_context_at_parse_time() -> None:
    ctx = active_context({"temp": "https://example.org/temperature", "ex": "https://example.org/"})
    query = parse_q("temp>20;ex:humidity<80|temp.quality==1", ctx)
    assert query.attribute_iris == {"https://example.org/temperature", "https://example.org/humidity"}
    entity = {
        "id": "urn:ngsi-ld:Sensor:1",
        "attrs": {
            "https://example.org/temperature": [{"type": "Property", "value": 21}],
            "https://example.org/humidity": [{"type": "Property", "value": 60}],
        },
    }
    assert query.matches(entity)
    # The same words under the core context name other attributes: no match.
    assert not parse_q("temp>20", core_context()).matches(entity)


def test_attribute_iris_lists_first_path_segments() -> None:
    query = parse_q('luminosity.reliability>0.8|address[city]=="Versailles";site', core_context())
    assert query.attribute_iris == {D + "luminosity", D + "address", D + "site"}


def test_matching_tolerates_malformed_entities() -> None:
    query = parse_q("luminosity>1;address[city]", core_context())
    odd_entities: list[Any] = [
        {},
        {"attrs": None},
        {"attrs": {D + "luminosity": "not a list"}},
        {"attrs": {D + "luminosity": [None, {"type": "Property"}]}},
        {"attrs": {D + "luminosity": [{"type": "Property", "value": float("nan")}]}},
    ]
    assert not any(query.matches(entity) for entity in odd_entities)


@pytest.mark.parametrize(
    ("q", "detail"),
    [
        ("", "Invalid q: the query is empty."),
        ("a==", "Invalid q: missing value after \"==\" at position 4: '(end of text)'"),
        ("a=5", 'Invalid q: "=" is not an operator, use "==" at position 2: \'=5\''),
        ("(a==1", "Invalid q: unclosed \"(\" (opened at position 1) at position 6: '(end of text)'"),
        ("a==1)", "Invalid q: unbalanced \")\" at position 5: ')'"),
        ("a==1;", "Invalid q: expected a query term at position 6: '(end of text)'"),
        ("|a", "Invalid q: expected a query term at position 1: '|a'"),
        (
            "a==foo",
            "Invalid q: a text value must be quoted (name==\"text\"); not a number, boolean, DateTime or URI at position 4: 'foo'",
        ),
        ('a=="foo', "Invalid q: unterminated quoted string at position 4: '\"foo'"),
        ('a=="foo"x', "Invalid q: unexpected text after the closing quote at position 9: 'x'"),
        ("a>true", "Invalid q: \">\" cannot compare a boolean at position 3: 'true'"),
        ("a<urn:x:y", 'Invalid q: "<" cannot compare an unquoted URI'),
        (
            "a>1,2",
            'Invalid q: a list of values is only allowed with "==" and "!=", not ">" at position 3: \'1,2\'',
        ),
        ("a>=1..2", 'Invalid q: a range is only allowed with "==" and "!=", not ">=" at position 4'),
        ("a==1,2..3", "Invalid q: a list of values cannot hold a range at position 6: '2..3'"),
        ("a==1..2..3", "Invalid q: a range has exactly two bounds"),
        (
            'a==1.."b"',
            "Invalid q: a range needs two numbers, strings, DateTimes, Dates or Times of the same kind",
        ),
        ("a==2021-13-45", "Invalid q: invalid DateTime or Date at position 4: '2021-13-45'"),
        ("a==25:61:00", "Invalid q: invalid Time at position 4"),
        ("a.observedAt[x]", "Invalid q: observedAt has no members to select with [...]"),
        ("a[b", 'Invalid q: expected "]" to close the member path at position 4'),
        ("a.", 'Invalid q: expected a sub-attribute name after "." at position 3'),
        ("a[]", "Invalid q: expected a member name after \"[\" at position 3: ']'"),
        (
            "a b",
            'Invalid q: expected an operator (== != > >= < <= ~= !~=), ";", "|" or ")" after the attribute path at position 3: \'b\'',
        ),
        ("a~=", "Invalid q: missing regular expression at position 4"),
        (
            "a~=[",
            "Invalid q: invalid regular expression (unterminated character set at position 0) at position 4: '['",
        ),
        ("a==1e999", "Invalid q: number out of range at position 4"),
        ("(" * 25 + "a" + ")" * 25, "Invalid q: parentheses nested more than 20 deep at position 21"),
        ("a" * 5000, "Invalid q: the query has 5000 characters, more than the 4096 allowed."),
        ("a==" + ",".join(["1"] * 101), "Invalid q: more than 100 values in the list at position 4"),
    ],
)
def test_syntax_errors_name_the_problem_and_position(q: str, detail: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        parse_q(q, core_context())
    assert caught.value.detail.startswith(detail)
    assert caught.value.status == 400


def test_a_query_that_is_no_string_is_refused() -> None:
    # Subscriptions and POST queries carry q in JSON, where it can be of any type.
    with pytest.raises(BadRequestData, match=r"Invalid q: expected a string, not int\."):
        parse_q(42, core_context())  # type: ignore[arg-type]
    with pytest.raises(BadRequestData, match=r"Invalid scopeQ: expected a string, not list\."):
        parse_scope_q(["/a"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pattern",
    [
        '"(a+)+$"',
        '"(a|aa)*b"',
        '"(x*y?)+"',
        '"(?:ab+){2,}"',
        '".*a.*b.*c.*d"',
        '"[a-z]+[a-z]+1"',
        '"(a{1,50}){1,50}"',
        '"' + "a" * (MAX_PATTERN_LENGTH + 1) + '"',
    ],
)
def test_costly_regular_expressions_are_refused(pattern: str) -> None:
    with pytest.raises(BadRequestData, match="regular expression"):
        parse_q(f"name~={pattern}", core_context())


def test_accepted_patterns_run_in_linear_time() -> None:
    # What people write (anchors, case-insensitivity, .*, alternatives) is accepted and
    # stays fast on a long adversarial value.
    entity = {"attrs": {D + "name": [{"type": "Property", "value": "a" * 50_000 + "!"}]}}
    started = time.perf_counter()
    for pattern in (
        '"(?i)^rue"',
        '".*lampe.*"',
        '"(Nord|Sud)"',
        '"^a+$"',
        '"(ab)+c"',
        '"[a-z]+\\d"',
        '"\\d{1,5}-\\d+"',
    ):
        assert not parse_q(f"name~={pattern}", core_context()).matches(entity)
    assert time.perf_counter() - started < 1.0


def test_patterns_with_an_unbounded_repetition_search_the_start_of_long_values() -> None:
    entity = {"attrs": {D + "name": [{"type": "Property", "value": "x" * 1500 + "panne"}]}}
    assert matches("name~=panne", entity)  # no repetition: the whole value is searched
    assert matches('name~=".*panne.*"', entity)  # the redundant ".*" are dropped
    assert matches("name~=^x+panne", entity)  # anchored: one position tried, whole value
    assert not matches("name~=pan+e", entity)  # unanchored repetition: first 1000 characters


def _parse_or_error(text: str) -> Query | BadRequestData:
    try:
        return parse_q(text, core_context())
    except BadRequestData as error:
        return error


def test_random_input_never_escapes_as_anything_but_bad_request_data() -> None:
    """A fuzz test: random strings built from the grammar's own characters and tokens either
    parse into a query that can be matched, or raise BadRequestData."""
    rng = random.Random(20261123)  # fixed seed: a failure reproduces
    tokens = [
        *"abc.[]()=!<>~;|\",'\\ +-*?^$#{}:/0123456789eE",
        "==", "!=", ">=", "<=", "~=", "!~=", "..", "true", "false", "urn:ngsi-ld:X:1",
        "2021-05-01T08:00:00Z", "2021-05-01", "19:30:00", "temperature", "name", "address[city]",
        "luminosity.reliability", ".observedAt", "\"x\"", "(?i)", "é", "\x00", "\n",
    ]  # fmt: skip
    parsed = 0
    for _ in range(3000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 14)))
        outcome = _parse_or_error(text)
        if isinstance(outcome, BadRequestData):
            assert outcome.detail.startswith("Invalid q: ")
            continue
        query = outcome
        parsed += 1
        assert isinstance(query.matches(STREETLIGHT), bool)
        assert isinstance(query.matches({"attrs": {}}), bool)
    assert parsed > 100  # the generator also produces valid queries, so matching is fuzzed too


@pytest.mark.parametrize(
    ("scope_q", "scopes", "expected"),
    [
        # 4.19: exact scope, "+" one level, final "#" the scope and all below it.
        ("/Versailles/Eclairage", ["/Versailles/Eclairage"], True),
        ("/Versailles", ["/Versailles/Eclairage"], False),
        ("/Versailles/+", ["/Versailles/Eclairage"], True),
        ("/Versailles/+", ["/Versailles"], False),
        ("/Versailles/+", ["/Versailles/Eclairage/Nord"], False),
        ("/+/Eclairage", ["/Nanterre/Eclairage"], True),
        ("/Versailles/#", ["/Versailles"], True),
        ("/Versailles/#", ["/Versailles/Eclairage/Nord"], True),
        ("/Versailles/#", ["/VersaillesNord"], False),
        ("/#", ["/anything"], True),
        ("/#", [], False),
        ("/Versailles/Eclairage", None, False),
        # ";" AND (each term may be met by a different scope), "|" OR, parentheses.
        ("/a;/b", ["/a", "/b"], True),
        ("/a;/b", ["/a"], False),
        ("/a|/b", ["/b"], True),
        ("/c|/a;/b", ["/a"], False),
        ("(/c|/a);/b", ["/a", "/b"], True),
    ],
)
def test_scope_queries(scope_q: str, scopes: list[str] | None, expected: bool) -> None:
    assert parse_scope_q(scope_q).matches(scopes) is expected


@pytest.mark.parametrize(
    ("scope_q", "detail"),
    [
        ("Versailles", 'Invalid scopeQ: a scope starts with "/" at position 1'),
        ("/a//b", 'Invalid scopeQ: expected a scope level, "+" or "#" after "/" at position 4'),
        ("/a/#/b", 'Invalid scopeQ: "#" can only be the last level at position 5'),
        ("/a;", "Invalid scopeQ: expected a query term at position 4"),
        ("/a b", 'Invalid scopeQ: expected ";", "|", ")" or the end after the scope at position 4'),
        ("(/a", 'Invalid scopeQ: unclosed "(" (opened at position 1)'),
    ],
)
def test_scope_query_errors(scope_q: str, detail: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        parse_scope_q(scope_q)
    assert caught.value.detail.startswith(detail)
