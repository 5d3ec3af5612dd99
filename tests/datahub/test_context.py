"""JSON-LD @context handling (NGSI-LD 5.5.7, 6.3.5): expansion, compaction, the request
rules, and the in-process cache."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest

from mutualis.datahub.models import StoredContext
from mutualis.datahub.ngsild import context, context_fetch
from mutualis.datahub.ngsild.context import (
    CORE_CONTEXT_URL,
    active_context,
    context_from_request,
    core_context,
    link_header_for,
)
from mutualis.datahub.ngsild.errors import BadRequestData, LdContextNotAvailable

NGSI = "https://uri.etsi.org/ngsi-ld/"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
SDM = "https://smartdatamodels.org/"
STREETLIGHTING = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld"
)
ENVIRONMENT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"
)
TRANSPORTATION = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/context.jsonld"
)
ENERGY = "https://raw.githubusercontent.com/smart-data-models/dataModel.Energy/master/context.jsonld"
LINK = '<{}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    context.clear_caches()
    yield
    context.clear_caches()


def test_core_context_expands_core_terms_and_defaults_the_rest() -> None:
    core = core_context()
    assert core.source == []
    assert core.expand_term("location") == NGSI + "location"
    assert core.expand_term("observedAt") == NGSI + "observedAt"
    assert core.expand_term("description") == "http://purl.org/dc/terms/description"
    assert core.expand_term("temperature") == DEFAULT + "temperature"
    # Absolute IRIs are kept; compact IRIs use the core's prefixes.
    assert core.expand_term("urn:ngsi-ld:Thing:1") == "urn:ngsi-ld:Thing:1"
    assert core.expand_term("http://example.org/speed") == "http://example.org/speed"
    assert core.expand_term("ngsi-ld:foo") == NGSI + "foo"
    assert core.expand_term("geojson:Point") == "https://purl.org/geojson/vocab#Point"


def test_core_context_compacts_back() -> None:
    core = core_context()
    assert core.compact_iri(NGSI + "location") == "location"
    assert core.compact_iri(DEFAULT + "temperature") == "temperature"
    assert core.compact_iri(NGSI + "somethingElse") == "ngsi-ld:somethingElse"
    assert core.compact_iri("http://example.org/speed") == "http://example.org/speed"
    assert core.response_context() == CORE_CONTEXT_URL
    assert link_header_for(core) is None


def test_the_core_context_urls_of_earlier_versions_are_the_core() -> None:
    for url in (
        CORE_CONTEXT_URL,
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        [CORE_CONTEXT_URL],
        None,
        [],
    ):
        assert active_context(url) is core_context()


@pytest.mark.django_db
def test_smart_data_models_contexts_are_shipped() -> None:
    ctx = active_context([STREETLIGHTING, ENVIRONMENT, TRANSPORTATION, ENERGY, CORE_CONTEXT_URL])
    assert ctx.expand_term("Streetlight") == SDM + "dataModel.Streetlighting/Streetlight"
    assert ctx.expand_term("powerState") == SDM + "dataModel.Streetlighting/powerState"
    assert ctx.expand_term("AirQualityObserved") == SDM + "dataModel.Environment/AirQualityObserved"
    assert ctx.expand_term("NoiseLevelObserved") == SDM + "dataModel.Environment/NoiseLevelObserved"
    assert ctx.expand_term("pm25") == SDM + "dataModel.Environment/pm25"
    assert ctx.expand_term("TrafficFlowObserved") == SDM + "dataModel.Transportation/TrafficFlowObserved"
    assert ctx.expand_term("EVChargingStation") == SDM + "dataModel.Transportation/EVChargingStation"
    assert ctx.expand_term("ThreePhaseAcMeasurement") == SDM + "dataModel.Energy/ThreePhaseAcMeasurement"
    assert ctx.expand_term("name") == SDM + "name"
    assert ctx.compact_iri(SDM + "dataModel.Transportation/averageVehicleSpeed") == "averageVehicleSpeed"
    # The core context wins over a client context for the terms it defines (5.5.7): the
    # Transportation context's own "observedAt" cannot change the core's.
    assert ctx.expand_term("location") == NGSI + "location"
    assert ctx.expand_term("observedAt") == NGSI + "observedAt"
    assert ctx.compact_iri(NGSI + "location") == "location"
    # Nothing was fetched: no context was cached in the database.
    assert not StoredContext.objects.exists()


def test_inline_context_with_prefixes() -> None:
    ctx = active_context(
        {
            "ex": "http://example.org/ns#",
            "speed": "ex:speed",
            "Car": {"@id": "ex:Car"},
            # The core's @vocab and terms apply last: a client cannot replace them.
            "@vocab": "http://example.org/vocab/",
            "location": "ex:where",
        }
    )
    assert ctx.expand_term("speed") == "http://example.org/ns#speed"
    assert ctx.expand_term("Car") == "http://example.org/ns#Car"
    assert ctx.expand_term("ex:colour") == "http://example.org/ns#colour"
    assert ctx.expand_term("unknown") == DEFAULT + "unknown"
    assert ctx.expand_term("location") == NGSI + "location"
    assert ctx.compact_iri("http://example.org/ns#speed") == "speed"
    assert ctx.compact_iri("http://example.org/ns#colour") == "ex:colour"
    assert ctx.compact_vocab(ctx.expand_vocab("Car")) == "Car"
    assert ctx.response_context() == [ctx.source[0], CORE_CONTEXT_URL]


def test_client_terms_are_preferred_when_compacting() -> None:
    ctx = active_context({"position": "https://uri.etsi.org/ngsi-ld/location"})
    assert ctx.expand_term("position") == NGSI + "location"
    assert ctx.compact_iri(NGSI + "location") == "position"


def test_a_default_context_name_that_is_a_term_stays_an_iri() -> None:
    # "speed" means something else here, so the default-context IRI cannot shorten to it.
    ctx = active_context({"speed": "http://example.org/speed"})
    compacted = ctx.compact_iri(DEFAULT + "speed")
    assert compacted == "ngsi-ld:default-context/speed"
    assert ctx.expand_term(compacted) == DEFAULT + "speed"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (42, "@context must be a URL"),
        (["not a url"], r"is not an absolute http\(s\) URL"),
        ([["nested"]], "must be a URL or a context object"),
        ({"speed": 12}, "Invalid @context"),
        ({"@version": 2.0}, "Invalid @context"),
    ],
)
def test_invalid_contexts_are_bad_request_data(source: object, message: str) -> None:
    with pytest.raises(BadRequestData, match=message):
        active_context(source)


@pytest.mark.django_db
def test_a_remote_context_of_a_host_not_allowed_is_not_available(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATAHUB_CONTEXT_ALLOWED_HOSTS = []
    with pytest.raises(LdContextNotAvailable, match=r"https://example\.org/ctx\.jsonld.*allowed hosts"):
        active_context(["https://example.org/ctx.jsonld"])


def test_contexts_are_built_once_and_expansion_is_a_lookup() -> None:
    source = [{"ex": "http://example.org/", "speed": "ex:speed"}]
    with mock.patch.object(context, "_process", wraps=context._process) as processed:
        first = active_context(source)
        # The same context, given again as a fresh (equal) object, is the same object.
        again = active_context([{"speed": "ex:speed", "ex": "http://example.org/"}])
        for _ in range(10_000):
            assert first.expand_term("speed") == "http://example.org/speed"
            first.expand_term("temperature")
            first.compact_iri("http://example.org/speed")
    assert again is first
    assert processed.call_count == 1


# --- 6.3.5: where a request's @context comes from ---


def test_json_without_link_is_the_core_context() -> None:
    assert (
        context_from_request(link_header=None, content_type="application/json", body={"id": "x"})
        is core_context()
    )
    assert (
        context_from_request(link_header=None, content_type="application/json", body=None) is core_context()
    )


@pytest.mark.django_db
def test_json_with_a_link_header() -> None:
    ctx = context_from_request(
        link_header=LINK.format(STREETLIGHTING),
        content_type="application/json; charset=utf-8",
        body={"id": "x"},
    )
    assert ctx.expand_term("powerState") == SDM + "dataModel.Streetlighting/powerState"
    assert ctx.source == [STREETLIGHTING]
    # The answer names the same URL (6.3.6).
    assert link_header_for(ctx) == LINK.format(STREETLIGHTING)


@pytest.mark.django_db
def test_a_get_uses_the_link_header_whatever_the_content_type() -> None:
    ctx = context_from_request(
        link_header=LINK.format(ENVIRONMENT), content_type="application/ld+json", body=None
    )
    assert ctx.expand_term("pm10") == SDM + "dataModel.Environment/pm10"


def test_other_links_are_ignored() -> None:
    header = '<https://example.org/next>; rel="next", <https://example.org/about>; rel=describedby'
    assert (
        context_from_request(link_header=header, content_type="application/json", body=None) is core_context()
    )


def test_two_context_links_are_refused() -> None:
    header = f"{LINK.format(STREETLIGHTING)}, {LINK.format(ENVIRONMENT)}"
    with pytest.raises(BadRequestData, match="2 JSON-LD context Link headers"):
        context_from_request(link_header=header, content_type="application/json", body=None)


def test_a_malformed_link_header_is_refused() -> None:
    with pytest.raises(BadRequestData, match="Link header is malformed"):
        context_from_request(
            link_header="https://example.org/ctx", content_type="application/json", body=None
        )


def test_json_body_must_not_carry_a_context() -> None:
    with pytest.raises(BadRequestData, match='must not contain "@context"'):
        context_from_request(
            link_header=None, content_type="application/json", body={"@context": STREETLIGHTING}
        )


@pytest.mark.django_db
def test_ld_json_takes_the_body_context() -> None:
    body = {"id": "urn:ngsi-ld:Streetlight:1", "@context": [STREETLIGHTING, CORE_CONTEXT_URL]}
    ctx = context_from_request(link_header=None, content_type="application/ld+json", body=body)
    assert ctx.expand_term("Streetlight") == SDM + "dataModel.Streetlighting/Streetlight"
    assert ctx.response_context() == [STREETLIGHTING, CORE_CONTEXT_URL]
    assert link_header_for(ctx) == LINK.format(STREETLIGHTING)


def test_ld_json_without_context_is_refused() -> None:
    with pytest.raises(BadRequestData, match="must carry its @context"):
        context_from_request(link_header=None, content_type="application/ld+json", body={"id": "x"})
    with pytest.raises(BadRequestData, match=r"item 1 of the array"):
        context_from_request(
            link_header=None,
            content_type="application/ld+json",
            body=[{"id": "a", "@context": CORE_CONTEXT_URL}, {"id": "b"}],
        )


def test_ld_json_with_a_link_header_is_refused() -> None:
    with pytest.raises(BadRequestData, match="must not also send a JSON-LD context Link header"):
        context_from_request(
            link_header=LINK.format(STREETLIGHTING),
            content_type="application/ld+json",
            body={"id": "x", "@context": CORE_CONTEXT_URL},
        )


def test_a_batch_shares_one_context() -> None:
    body = [
        {"id": "a", "@context": {"speed": "http://example.org/speed"}},
        {"id": "b", "@context": CORE_CONTEXT_URL},
    ]
    with pytest.raises(BadRequestData, match="same @context"):
        context_from_request(link_header=None, content_type="application/ld+json", body=body)


@pytest.mark.django_db
def test_an_inline_context_is_hosted_to_be_named_in_a_link_header(client) -> None:  # type: ignore[no-untyped-def]
    ctx = active_context([{"speed": "http://example.org/speed"}, CORE_CONTEXT_URL])
    header = link_header_for(ctx)
    assert header is not None
    assert header == link_header_for(ctx)  # the same URL each time, one stored row
    assert StoredContext.objects.count() == 1
    url = header[1 : header.index(">")]
    assert context_fetch.is_hosted(url)
    # The hosted URL works as a context: a client may send it back in a Link header.
    again = context_from_request(link_header=header, content_type="application/json", body=None)
    assert again.expand_term("speed") == "http://example.org/speed"
