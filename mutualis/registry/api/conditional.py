"""Conditional requests on one object (RFC 9110 §13): the `ETag` of what a GET or a write
answers, `If-None-Match` on GET (304), `If-Match` on writes (412).

The entity tag is a hash of the object's JSON representation: it changes whenever
anything a client reads changes (a field of the row, the name of the site an asset stands
at), and only then, so it is a strong validator (RFC 9110 §8.8.1): the same tag, the same
bytes. A version column would have to be bumped by every writer (the imports, the status
history, the back office) and would still miss a renamed site.

`If-Match` is compared under a lock of the row, in the transaction that writes: two
clients sending the same tag at the same instant cannot both write, the second waits for
the first, then finds the tag gone and gets its 412.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE, problem_body

from .schema import ProblemSerializer


def entity_tag(data: Mapping[str, Any]) -> str:
    """The strong entity tag of a representation: its data, canonically encoded, hashed.
    128 bits of SHA-256 are plenty to tell versions of one object apart."""
    encoded = json.dumps(data, cls=JSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f'"{hashlib.sha256(encoded.encode()).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def none_match(request: Request, current: str) -> bool:
    """Whether If-None-Match names the current representation (RFC 9110 §13.1.2: weak
    comparison, `*` for any). A header holding no valid tag is ignored."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or _opaque(current) in {_opaque(tag) for tag in tags}


def if_match_tags(request: Request) -> list[str] | None:
    """The entity tags of If-Match, None without the header. A header holding no valid tag
    is a 400: ignored, it would let through the write the client meant to make safe."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = parse_etags(header)
    if not tags:
        raise ParseError(
            _(
                "The If-Match header holds no entity tag: send the ETag header of your last GET as it "
                'came, double quotes included (If-Match: "…").'
            )
        )
    return tags


def match(tags: list[str], current: str) -> bool:
    """RFC 9110 §13.1.1: `*` matches any current representation; otherwise a strong
    comparison, where a weak tag (W/"…") matches nothing."""
    return "*" in tags or current in tags


def tagged(data: Mapping[str, Any], **kwargs: Any) -> Response:
    """A 2xx answer carrying its representation's entity tag (RFC 9110 §8.8.3)."""
    response = Response(data, **kwargs)
    response["ETag"] = entity_tag(data)
    return response


def precondition_failed(detail: str) -> Response:
    """412 (RFC 9110 §15.5.13) as problem details; nothing was written."""
    body = problem_body(status.HTTP_412_PRECONDITION_FAILED, detail, kind="precondition-failed")
    # mutualis.lib.problems titles the statuses any view may answer; this one is ours.
    body["title"] = _("Precondition failed")
    return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, content_type=PROBLEM_CONTENT_TYPE)


class ConditionalObjectMixin(GenericAPIView):
    """For viewsets of one kind of object: GET answers its ETag (304 when If-None-Match
    names it), and `write_if_unchanged` writes under If-Match. `stale_detail` says, for a
    person, that the object changed since it was read."""

    stale_detail: Promise

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(self.get_object()).data
        current = entity_tag(data)
        if none_match(request, current):
            # RFC 9110 §15.4.5: a 304 carries the ETag a 200 would have carried.
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": current})
        return tagged(data)

    def write_if_unchanged(self, obj: models.Model, write: Callable[[Any], object]) -> Response:
        """Call `write(locked)` with `obj` read again under a row lock, unless If-Match names
        another version than that one; answer the written object with its new ETag.

        Called once `get_object()` found `obj` in the request's scope and allowed the
        write: an outsider's 404 and a refused role's 403 come before any precondition
        (RFC 9110 §13.2.1), so a tag tells nothing of an object the caller cannot see."""
        tags = if_match_tags(self.request)
        with transaction.atomic():
            # Only the object's own row: the joined rows (its site, its model…) are read,
            # not locked, and PostgreSQL cannot lock the nullable side of an outer join.
            objects = self.get_queryset()
            locked = objects.select_for_update(of=("self",)).get(pk=obj.pk)
            if tags is not None and not match(tags, entity_tag(self.get_serializer(locked).data)):
                return precondition_failed(str(self.stale_detail))
            write(locked)
            # Read back in the same transaction: the answer, and its tag, are what this
            # request wrote, before any later writer changes it.
            return tagged(self.get_serializer(objects.get(pk=obj.pk)).data)


# What the schema says of conditional requests.
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="Strong entity tag of this representation (RFC 9110 §8.8.3): send it back in "
    "If-Match to change the object only if nobody changed it since.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of a copy you hold: 304 without a body when it is still current.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag of your last GET (`"…"`, quotes included). If the object changed since, '
    "nothing is written and the answer is 412: GET it again and apply your change to it. Without "
    "the header the change is written whatever happened meanwhile; send it.",
)
NOT_MODIFIED = {304: OpenApiResponse(description="The copy named by If-None-Match is current.")}
PRECONDITION_FAILED = {
    (412, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="If-Match names a version the object no longer has: someone changed it since "
        "you read it. Nothing was written.",
    )
}
