"""Request bodies the served schema admits are bodies the API accepts, as far as a schema can
say: Schemathesis, run against /api/schema/, found the API's 400 to an unknown key (every
body is read strictly) and to a message of blanks where the schema admitted both, so a
client generated from it, or a contract checker, took a right answer for a broken API.
"""

from __future__ import annotations

import jsonschema
import pytest

from mutualis.servicedesk.models import Comment

from .desk_support import broken_screen
from .support import field_messages, problem
from .test_schema_conformance import schema  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _bodies(document):
    """(operation, media type, component name) of every request body of the schema."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                ref = content["schema"].get("$ref", "")
                yield f"{method.upper()} {path}", media, ref.rsplit("/", 1)[-1]


def test_every_body_refuses_unknown_keys_in_the_schema_as_the_api_does(cast, schema, api):  # noqa: F811
    components = schema.document["components"]["schemas"]
    json_bodies = [b for b in _bodies(schema.document) if b[1] in ("application/json", "multipart/form-data")]
    assert len(json_bodies) > 10
    open_ones = [b for b in json_bodies if components[b[2]].get("additionalProperties") is not False]
    assert not open_ones
    body = problem(
        api(cast.adam).post(f"assets/{cast.asset_a.pk}/status/", {"status": "lost", "colour": "red"}), 400
    )
    assert field_messages(body, "colour")


@pytest.mark.parametrize("text", ["", "   \n"])
def test_a_message_of_blanks_is_refused_by_the_schema_as_by_the_api(cast, desk, schema, api, text):  # noqa: F811
    ticket = broken_screen(cast, desk)
    body_schema = schema.document["components"]["schemas"]["MessageBodyRequest"]["properties"]["body"]
    assert not jsonschema.Draft7Validator(body_schema).is_valid(text)
    assert jsonschema.Draft7Validator(body_schema).is_valid(" Bonjour")
    comments = Comment.objects.filter(ticket=ticket).count()
    for endpoint, caller in (("replies/", cast.alice), ("notes/", desk.tess)):
        body = problem(api(caller).post(f"tickets/{ticket.number}/{endpoint}", {"body": text}), 400)
        assert field_messages(body, "body") == ["Write a message."]
    assert Comment.objects.filter(ticket=ticket).count() == comments
