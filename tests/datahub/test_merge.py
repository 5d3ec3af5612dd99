"""The semantics of the NGSI-LD update verbs on internal attributes: 5.6.2 update, 5.6.3
append, 5.6.4 partial attribute update, 5.6.5 delete attribute, 5.6.17 merge. Pure."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from mutualis.datahub.ngsild.errors import BadRequestData, ResourceNotFound
from mutualis.datahub.ngsild.merge import (
    append_attributes,
    delete_attribute,
    is_null,
    merge_entity,
    partial_update_attribute,
    update_attributes,
)

T = "https://example.org/temperature"
S = "https://example.org/site"
ACC = "https://example.org/accuracy"
SRC = "https://example.org/source"
RAW = "urn:ngsi-ld:Dataset:raw"
OLD = "2026-01-01T00:00:00.000Z"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STAMP = "2026-11-23T10:00:00.000Z"
NULL = "urn:ngsi-ld:null"


def old(instance: dict[str, Any]) -> dict[str, Any]:
    return {**instance, "createdAt": OLD, "modifiedAt": OLD}


def new(instance: dict[str, Any]) -> dict[str, Any]:
    # As normalize gives them: stamped with the request's time.
    return {**instance, "createdAt": STAMP, "modifiedAt": STAMP}


def current() -> dict[str, list[dict[str, Any]]]:
    return {
        T: [
            old(
                {
                    "type": "Property",
                    "value": 20,
                    "unitCode": "CEL",
                    "observedAt": OLD,
                    ACC: {"type": "Property", "value": 0.5},
                }
            ),
            old({"type": "Property", "value": 21, "datasetId": RAW}),
        ],
        S: [old({"type": "Relationship", "object": "urn:ngsi-ld:Site:1"})],
    }


def test_append_adds_and_overwrites_keeping_created_at() -> None:
    # 5.6.3: new attributes and datasetIds are added; existing ones replaced whole (4.8: createdAt kept).
    before = current()
    result = append_attributes(
        before,
        {
            T: [
                new({"type": "Property", "value": 25}),
                new({"type": "Property", "value": 26, "datasetId": "urn:d:2"}),
            ],
            "https://example.org/new": [new({"type": "Property", "value": 1})],
        },
        overwrite=True,
        now=NOW,
    )
    assert result.attrs[T] == [
        {"type": "Property", "value": 25, "createdAt": OLD, "modifiedAt": STAMP},
        old({"type": "Property", "value": 21, "datasetId": RAW}),
        {"type": "Property", "value": 26, "datasetId": "urn:d:2", "createdAt": STAMP, "modifiedAt": STAMP},
    ]
    assert result.attrs["https://example.org/new"] == [new({"type": "Property", "value": 1})]
    assert result.updated == [T, "https://example.org/new"]
    assert result.not_updated == []
    assert before == current(), "the input must not be mutated"


def test_append_with_no_overwrite_reports_existing_instances() -> None:
    # 5.6.3 noOverwrite: existing attributes stay and come back in notUpdated.
    result = append_attributes(
        current(),
        {
            T: [
                new({"type": "Property", "value": 99, "datasetId": RAW}),
                new({"type": "Property", "value": 1, "datasetId": "urn:d:3"}),
            ]
        },
        overwrite=False,
        now=NOW,
    )
    assert result.attrs[T][1]["value"] == 21
    assert result.attrs[T][2]["value"] == 1
    assert result.updated == [T]
    assert result.not_updated == [
        {
            "attributeName": T,
            "reason": f"instance with datasetId {RAW} already exists and noOverwrite was asked.",
        }
    ]


UPDATE_CASES = [
    # (clause, fragment, expected temperature instances or None, not_updated reasons)
    (
        "5.6.2 default instance replaced",
        {T: [new({"type": "Property", "value": 30})]},
        [
            {"type": "Property", "value": 30, "createdAt": OLD, "modifiedAt": STAMP},
            old({"type": "Property", "value": 21, "datasetId": RAW}),
        ],
        [],
    ),
    (
        "5.6.2 datasetId instance replaced",
        {T: [new({"type": "Property", "value": 31, "datasetId": RAW})]},
        [
            current()[T][0],
            {"type": "Property", "value": 31, "datasetId": RAW, "createdAt": OLD, "modifiedAt": STAMP},
        ],
        [],
    ),
    (
        "5.2 NGSI-LD Null deletes the instance",
        {T: [new({"value": NULL, "datasetId": RAW})]},
        [current()[T][0]],
        [],
    ),
    (
        "5.6.2 unknown datasetId not added",
        {T: [new({"type": "Property", "value": 1, "datasetId": "urn:d:9"})]},
        current()[T],
        [(T, "The attribute has no instance with datasetId urn:d:9.")],
    ),
    (
        "5.6.2 unknown attribute not added",
        {"https://example.org/other": [new({"type": "Property", "value": 1})]},
        current()[T],
        [("https://example.org/other", "The entity has no such attribute.")],
    ),
]


@pytest.mark.parametrize(
    ("clause", "fragment", "expected", "refused"), UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES]
)
def test_update_only_touches_existing_instances(
    clause: str, fragment: Any, expected: Any, refused: Any
) -> None:
    result = update_attributes(current(), fragment, now=NOW)
    assert result.attrs[T] == expected
    assert [(item["attributeName"], item["reason"]) for item in result.not_updated] == refused
    assert "https://example.org/other" not in result.attrs


def test_update_of_the_default_instance_when_only_dataset_ids_exist() -> None:
    # 4.5.5: the default instance is a datasetId of its own; it is not "any instance".
    attrs = {T: [old({"type": "Property", "value": 21, "datasetId": RAW})]}
    result = update_attributes(attrs, {T: [new({"type": "Property", "value": 1})]}, now=NOW)
    assert result.attrs == attrs
    assert result.not_updated[0]["reason"] == "The attribute has no default instance (without datasetId)."


def test_merge_patches_members_and_keeps_the_rest() -> None:
    # 5.6.17: value replaced, observedAt/unitCode/sub-attributes kept unless given.
    result = merge_entity(
        current(),
        {T: [new({"type": "Property", "value": 22, SRC: {"type": "Property", "value": "GPS"}})]},
        now=NOW,
    )
    assert result.attrs[T][0] == {
        "type": "Property",
        "value": 22,
        "unitCode": "CEL",
        "observedAt": OLD,
        ACC: {"type": "Property", "value": 0.5},
        SRC: {"type": "Property", "value": "GPS"},
        "createdAt": OLD,
        "modifiedAt": STAMP,
    }
    assert result.updated == [T]


def test_merge_with_only_observed_at_and_a_sub_attribute() -> None:
    # 5.6.17 (merge-patch): members not given are kept, the value included.
    fragment = {T: [new({"observedAt": STAMP, ACC: {"type": "Property", "value": 0.1}})]}
    result = merge_entity(current(), fragment, now=NOW)
    assert result.attrs[T][0]["value"] == 20
    assert result.attrs[T][0]["observedAt"] == STAMP
    assert result.attrs[T][0][ACC] == {"type": "Property", "value": 0.1}


def test_merge_null_deletes_attributes_instances_and_sub_attributes() -> None:
    # 5.2 / 5.6.17: NGSI-LD Null removes what it names; absent targets are no error.
    fragment = {
        T: [new({"value": NULL, "datasetId": RAW}), new({ACC: {"value": NULL}})],
        S: [new({"type": "Relationship", "object": NULL})],
        "https://example.org/absent": [new({"value": NULL})],
    }
    result = merge_entity(current(), fragment, now=NOW)
    assert S not in result.attrs
    assert "https://example.org/absent" not in result.attrs
    assert len(result.attrs[T]) == 1
    assert ACC not in result.attrs[T][0]
    assert result.deleted == [T, S]


def test_merge_adds_new_attributes_but_only_whole_ones() -> None:
    result = merge_entity(
        current(),
        {"https://example.org/n": [new({"type": "Property", "value": 1, ACC: {"value": NULL}})]},
        now=NOW,
    )
    assert result.attrs["https://example.org/n"] == [new({"type": "Property", "value": 1})]
    with pytest.raises(BadRequestData, match="the merge must give its whole value"):
        merge_entity(current(), {"https://example.org/n": [new({"observedAt": STAMP})]}, now=NOW)


def test_merge_changing_type_replaces_the_value_member() -> None:
    result = merge_entity(current(), {S: [new({"type": "Property", "value": "Site 1"})]}, now=NOW)
    assert result.attrs[S] == [{"type": "Property", "value": "Site 1", "createdAt": OLD, "modifiedAt": STAMP}]
    with pytest.raises(
        BadRequestData, match="changing its type from Relationship to Property needs its new 'value'"
    ):
        merge_entity(current(), {S: [new({"type": "Property", "observedAt": STAMP})]}, now=NOW)


def test_partial_update_merges_into_the_instance_with_the_same_dataset_id() -> None:
    # 5.6.4
    attrs = partial_update_attribute(
        current(), T, [new({"value": 40, "datasetId": RAW, SRC: {"type": "Property", "value": "x"}})], now=NOW
    )
    assert attrs[T][1] == {
        "type": "Property",
        "value": 40,
        "datasetId": RAW,
        SRC: {"type": "Property", "value": "x"},
        "createdAt": OLD,
        "modifiedAt": STAMP,
    }
    assert attrs[T][0] == current()[T][0]


def test_partial_update_null_deletes_sub_attribute_or_instance() -> None:
    attrs = partial_update_attribute(current(), T, [new({ACC: {"value": NULL}})], now=NOW)
    assert ACC not in attrs[T][0]
    attrs = partial_update_attribute(current(), S, [new({"object": NULL})], now=NOW)
    assert S not in attrs


@pytest.mark.parametrize(
    ("attr", "fragment", "message"),
    [
        (
            "https://example.org/none",
            [new({"value": 1})],
            "The entity has no attribute https://example.org/none.",
        ),
        (
            T,
            [new({"value": 1, "datasetId": "urn:d:9"})],
            f"The attribute {T} has no instance with datasetId urn:d:9.",
        ),
    ],
)
def test_partial_update_of_a_missing_target_is_not_found(attr: str, fragment: Any, message: str) -> None:
    # 5.6.4: ResourceNotFound for an absent attribute or datasetId.
    with pytest.raises(ResourceNotFound) as caught:
        partial_update_attribute(current(), attr, fragment, now=NOW)
    assert caught.value.detail == message


DELETE_CASES = [
    # (clause, dataset_id, delete_all, remaining temperature datasetIds or None when gone)
    ("5.6.5 default instance", None, False, [RAW]),
    ("5.6.5 one datasetId", RAW, False, [None]),
    ("5.6.5 deleteAll", None, True, None),
]


@pytest.mark.parametrize(
    ("clause", "dataset_id", "delete_all", "remaining"), DELETE_CASES, ids=[c[0] for c in DELETE_CASES]
)
def test_delete_attribute(clause: str, dataset_id: str | None, delete_all: bool, remaining: Any) -> None:
    before = current()
    attrs = delete_attribute(before, T, dataset_id=dataset_id, delete_all=delete_all)
    if remaining is None:
        assert T not in attrs
    else:
        assert [instance.get("datasetId") for instance in attrs[T]] == remaining
    assert attrs[S] == before[S]
    assert before == current()


def test_deleting_the_last_instance_removes_the_attribute() -> None:
    assert S not in delete_attribute(current(), S, dataset_id=None, delete_all=False)


@pytest.mark.parametrize(
    ("attr", "dataset_id", "message"),
    [
        ("https://example.org/none", None, "The entity has no attribute https://example.org/none."),
        (T, "urn:d:9", f"The attribute {T} has no instance with datasetId urn:d:9."),
        (S, RAW, f"The attribute {S} has no instance with datasetId {RAW}."),
    ],
)
def test_delete_of_a_missing_target_is_not_found(attr: str, dataset_id: str | None, message: str) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        delete_attribute(current(), attr, dataset_id=dataset_id, delete_all=False)
    assert caught.value.detail == message


def test_delete_of_a_missing_default_instance() -> None:
    attrs = {T: [old({"type": "Property", "value": 1, "datasetId": RAW})]}
    with pytest.raises(ResourceNotFound, match="has no default instance"):
        delete_attribute(attrs, T, dataset_id=None, delete_all=False)


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        ({"value": NULL}, True),
        ({"object": NULL}, True),
        ({"languageMap": {"@none": NULL}}, True),
        ({"vocab": NULL}, True),
        ({"valueList": [NULL]}, True),
        ({"objectList": [{"object": NULL}]}, True),
        ({"value": "urn:ngsi-ld:Site:1"}, False),
        ({"observedAt": STAMP}, False),
    ],
)
def test_is_null(instance: dict[str, Any], expected: bool) -> None:
    # 5.2: the forms NGSI-LD Null takes for each attribute type.
    assert is_null(instance) is expected


def test_results_do_not_share_state_with_inputs() -> None:
    fragment = {T: [new({"type": "Property", "value": {"nested": [1]}})]}
    kept = copy.deepcopy(fragment)
    result = append_attributes(current(), fragment, overwrite=True, now=NOW)
    result.attrs[T][0]["value"]["nested"].append(2)
    assert fragment == kept


def test_every_verb_leaves_the_current_state_unchanged() -> None:
    # Copy-on-write: results share untouched instances with `current`, so no verb may
    # change `current` in place (deleting an instance included).
    state = current()
    before = copy.deepcopy(state)
    append_attributes(state, {T: [new({"type": "Property", "value": 1})]}, overwrite=True, now=NOW)
    update_attributes(state, {T: [{"type": "Property", "value": NULL, "datasetId": RAW}]}, now=NOW)
    merge_entity(
        state, {T: [{"type": "Property", "value": 2, ACC: {"type": "Property", "value": NULL}}]}, now=NOW
    )
    partial_update_attribute(state, T, [{"value": NULL, "datasetId": RAW}], now=NOW)
    delete_attribute(state, T, dataset_id=RAW, delete_all=False)
    delete_attribute(state, S, dataset_id=None, delete_all=True)
    assert state == before


def test_writes_copy_only_the_attributes_they_touch() -> None:
    state = current()
    result = append_attributes(
        state, {S: [new({"type": "Relationship", "object": "urn:x:2"})]}, overwrite=True, now=NOW
    )
    # The untouched attribute is shared, not copied; the touched one is a new list.
    assert result.attrs[T] is state[T]
    assert result.attrs[S] is not state[S]
    assert state[S][0]["object"] == "urn:ngsi-ld:Site:1"
    # A later write on the result does not reach back into the first state.
    again = update_attributes(result.attrs, {T: [{"type": "Property", "value": 30}]}, now=NOW)
    assert again.attrs[T][0]["value"] == 30
    assert state[T][0]["value"] == 20
    assert result.attrs[T][0]["value"] == 20
