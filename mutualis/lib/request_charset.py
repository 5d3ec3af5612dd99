"""The application's request handlers, reading a request whose `charset` is no text
encoding as one whose charset is unknown: in DEFAULT_CHARSET.

Django takes the `charset` of a request's Content-Type as the encoding of its query string,
form and body whenever Python knows a codec of that name (and DEFAULT_CHARSET when it knows
none: `HttpRequest._set_content_type_params`). But some of Python's codecs turn bytes into
bytes (`base64`, `hex`, `zlib`, `quopri`) or text into text (`rot13`): decoding with one
raises LookupError (and the codec `undefined` refuses everything). `Content-Type: text/plain; charset=rot13` was a server error on every
address with a query string, for anyone, signed in or not, and on every form and JSON body
(found by probing with hostile requests). The request is built before any middleware runs,
hence request classes of our own, served by `mutualis.wsgi` and `mutualis.asgi`.
"""

from __future__ import annotations

from typing import Any

import django
from django.core.handlers import asgi, wsgi
from django.utils.http import parse_header_parameters


def is_text_encoding(name: str) -> bool:
    """Whether Python knows a codec `name` that decodes any bytes into text, with errors
    replaced, as Django decodes a query string or a form's escapes. (Empty bytes decode to ""
    whatever the codec; `undefined` refuses every byte, `idna` the replacing, `punycode`
    all but ASCII.)"""
    try:
        b"\xc3\xa9\xff".decode(name, "replace")  # "é" in UTF-8, then a byte UTF-8 never has
    except (LookupError, UnicodeError):
        return False
    return True


class _TextCharsetOnly:
    content_type: str | None
    content_params: dict[str, str] | None
    encoding: str | None

    def _set_content_type_params(self, meta: Any) -> None:
        # Django's own (django/http/request.py), but for the test of the codec.
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset and is_text_encoding(charset):
            self.encoding = charset


class WSGIRequest(_TextCharsetOnly, wsgi.WSGIRequest):
    pass


class ASGIRequest(_TextCharsetOnly, asgi.ASGIRequest):
    pass


class WSGIHandler(wsgi.WSGIHandler):
    request_class = WSGIRequest


class ASGIHandler(asgi.ASGIHandler):
    request_class = ASGIRequest


def get_wsgi_application() -> WSGIHandler:
    """django.core.wsgi.get_wsgi_application, with the request class above."""
    django.setup(set_prefix=False)
    return WSGIHandler()


def get_asgi_application() -> ASGIHandler:
    """django.core.asgi.get_asgi_application, with the request class above."""
    django.setup(set_prefix=False)
    return ASGIHandler()
