"""What the JSON API answers a client's Accept header (RFC 9110 12.5.1).

The API answers `application/json`, and its errors `application/problem+json` (RFC 9457).
DRF negotiates before anything else, so a client accepting problem details alone (as
clients that expect errors do) got a 406 for every request, even for a missing token or
an unknown object, the very errors it asked to be told of. Now, for such a client:

- the request's errors are answered as they are, as problem details (401, 403, 404, 400…);
- a read that succeeds is answered 406, itself a problem document naming the type to add
  to Accept, rather than with a body of a type the client did not accept;
- a write is refused with 406 before anything is written, once the caller is known and
  allowed to make it (401 and 403 come first): success could not be told to the client in
  a type it accepts, and a write answered 406 after the fact would leave it guessing.

Any other Accept that no renderer satisfies is a 406 at once, as in DRF, with a detail
naming the types to ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from .accept import accept_ranges
from .problems import PROBLEM_CONTENT_TYPE, problem_body

# Headers of a success that mean nothing on the 406 that replaces it.
_SUCCESS_HEADERS = ("Location", "Link", "ETag", "Last-Modified", "Content-Disposition")


def accepts_problem_details(header: str) -> bool:
    """Whether an Accept header names application/problem+json with a quality above 0."""
    return any(media == PROBLEM_CONTENT_TYPE for _quality, _position, media in accept_ranges(header))


def not_acceptable_detail(header: str, offered: Sequence[str]) -> str:
    return _(
        "This address answers %(offered)s, which the Accept header (%(accept)s) does not name; its "
        "errors come as %(problems)s. Send for instance “Accept: %(first)s, %(problems)s”."
    ) % {
        "offered": ", ".join(offered),
        "accept": header[:200],
        "problems": PROBLEM_CONTENT_TYPE,
        "first": offered[0] if offered else "application/json",
    }


class ProblemsOnlyRenderer(JSONRenderer):
    """For a client that accepts problem details alone: errors as they are, and a 406
    problem in place of any success (see the module's doc)."""

    media_type = PROBLEM_CONTENT_TYPE

    def __init__(self, *, header: str, offered: Sequence[str]) -> None:
        self.header = header
        self.offered = list(offered)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code < 400:
            response.status_code = 406
            for name in _SUCCESS_HEADERS:
                if name in response:
                    del response[name]
            response["Content-Type"] = PROBLEM_CONTENT_TYPE
            data = problem_body(406, not_acceptable_detail(self.header, self.offered))
        rendered: bytes = super().render(data, accepted_media_type, renderer_context)
        return rendered


class ProblemAwareNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        try:
            chosen: tuple[BaseRenderer, str] = super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            header = request.headers.get("Accept", "")
            offered = [renderer.media_type for renderer in renderers]
            refusal = exceptions.NotAcceptable(not_acceptable_detail(header, offered))
            if not accepts_problem_details(header):
                raise refusal from None
            view = (request.parser_context or {}).get("view")
            method = (request.method or "").lower()
            if request.method not in SAFE_METHODS and view is not None and hasattr(view, method):
                # Who asks and whether they may write come first; then nothing is written.
                view.check_permissions(request)
                raise refusal from None
            # A read, or a method the address does not have (its 405 is an error).
            return ProblemsOnlyRenderer(header=header, offered=offered), PROBLEM_CONTENT_TYPE
        return chosen
