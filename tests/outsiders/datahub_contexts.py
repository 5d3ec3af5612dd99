"""Outsider cases of the data hub (datahub_contexts): filled by the part that adds the URLs."""

from __future__ import annotations

from . import Case

OBJECTS: dict[str, Case] = {}
LISTS: dict[str, Case] = {}
NO_MEMBER_DATA: dict[str, str] = {}
