"""`cached_reverse`: reverse() remembered for what its answer depends on.

reverse() walks the URL resolver on every call (tens of microseconds); pages that link the
same few views on every request (the menu, each row of a list, each value of a breakdown:
485 members) paid it each time. Its answer depends on the name and arguments, the script
prefix (a deployment under a sub-path) and the URLconf in use (the settings' or one a
request or a test sets), which are the cache's key; Mutualis' URLs have no language
prefix, so the language is not.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@functools.lru_cache(maxsize=256)
def _reversed(name: str, args: tuple[Any, ...], prefix: str, urlconf: str | None, root: str) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def cached_reverse(name: str, *args: Any) -> str:
    """reverse(name, args=args), computed once per name, arguments, prefix and URLconf."""
    return _reversed(name, args, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
