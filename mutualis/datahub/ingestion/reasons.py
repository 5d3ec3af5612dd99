"""Why the ingestion refuses a message: the reason codes dead letters are counted by, and
the details it writes, in English, for the devices and the API (which answer in English,
Content-Language: en, like the NGSI-LD API: mutualis.datahub.ngsild.errors).

The back office speaks French: it shows each reason by its label and each detail written
from one of the templates below in French, the values it quotes kept as they are
(`detail_shown`). The templates are written once, here, with `gettext_noop`: the
ingestion formats them untranslated, and the back office recognises a stored detail by
its template and translates it. A detail from elsewhere (an NGSI-LD refusal, a database
error) or from an older wording is shown as it is stored.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# The reason codes, stored on each dead letter and answered by the HTTP endpoint.
REASONS: dict[str, Promise] = {
    "too_large": _("message too large"),
    "invalid_json": _("not JSON"),
    "empty": _("empty message"),
    "not_an_object": _("not a JSON object"),
    "unknown_member": _("unknown JSON member"),
    "no_sensor": _("no sensor named"),
    "bad_time": _("wrong observation time"),
    "future_time": _("observation time in the future"),
    "no_values": _("no values"),
    "bad_value": _("wrong value"),
    "bad_text": _("unstorable text"),
    "bad_name": _("wrong value name"),
    "unknown_sensor": _("unknown sensor"),
    "bad_entity": _("wrong entity"),
    "unknown_kind": _("unknown kind of message"),
    "unknown_tenant": _("unknown data hub tenant"),
    "write_failed": _("write failed"),
    "refused_by_hub": _("refused by the hub"),
}


def reason_label(code: str) -> str:
    """The reason `code` in the active language; a code this version does not know (kept by
    an older one) as it is."""
    label = REASONS.get(code)
    return str(label) if label is not None else code


TOO_MANY_BYTES = gettext_noop("The message has %(size)s bytes; the limit is %(limit)s.")
NOT_JSON = gettext_noop("The message is not JSON: %(error)s.")
NO_READINGS = gettext_noop("The message holds no readings.")
NO_ENTITIES = gettext_noop("The message holds no entities.")
TOO_MANY_READINGS = gettext_noop("The message holds %(count)s readings; the limit is %(limit)s.")
TOO_MANY_ENTITIES = gettext_noop("The message holds %(count)s entities; the limit is %(limit)s.")
READING_NOT_AN_OBJECT = gettext_noop("A reading must be a JSON object with sensor, observedAt and values.")
ENTITY_NOT_AN_OBJECT = gettext_noop("An entity must be a JSON object.")
UNKNOWN_MEMBERS = gettext_noop("Unknown member(s) %(members)s: a reading has sensor, observedAt, values.")
NO_SENSOR = gettext_noop('The reading names no sensor ("sensor": an entity id or an inventory tag).')
NO_VALUES = gettext_noop('The reading has no values ("values": {"name": value, …}).')
NOT_A_SCALAR = gettext_noop("The value of %(name)s must be a number, a string or a boolean.")
NOT_FINITE = gettext_noop("The value of %(name)s is not a finite number.")
TOO_LARGE_A_NUMBER = gettext_noop("The value of %(name)s is too large a number (beyond ±1.8e308).")
AHEAD = gettext_noop("%(ahead)s: set the device's clock (NTP) and send the reading again.")
UNSTORABLE_TEXT = gettext_noop(
    "A name or value holds a NUL character or a lone UTF-16 surrogate, which no value may hold."
)
RESERVED_NAME = gettext_noop(
    "values: %(name)s is reserved by NGSI-LD (a member of an entity or of an attribute), "
    "not the name of a measured value."
)
KEYWORD_NAME = gettext_noop("values: %(name)s expands to the JSON-LD keyword %(iri)s.")
GEO_NAME = gettext_noop(
    "values: %(name)s is a GeoProperty of the sensor, not a measured value; change it "
    "through the NGSI-LD API or the entities topic."
)
LONG_NAME = gettext_noop(
    "values: the name starting %(name)s is %(length)s characters long once expanded; the limit is %(limit)s."
)
UNKNOWN_SENSOR = gettext_noop("No sensor %(sensor)s in this tenant (entity id or inventory tag).")
UNKNOWN_KIND = gettext_noop("Unknown message kind %(kind)s: %(kinds)s.")
TOPIC_WITHOUT_TENANT = gettext_noop(
    "The topic %(topic)s names no tenant: <prefix>/<tenant>/%(observations)s or "
    "/%(entities)s, with %(shared)s for the operator's shared space."
)
UNKNOWN_TENANT = gettext_noop("No tenant named %(tenant)s for this operator.")
WRITE_FAILED = gettext_noop(
    "The hub could not write this message (%(error)s). It is kept here; correct the value "
    "the error names, or report the error to the hub's maintainers."
)
# What `check_not_ahead` writes from AHEAD and the NGSI-LD API's wording of the delay
# (mutualis.datahub.ngsild.timestamps.ahead_of_clock, which stays as it is), recognised
# whole so that the delay is shown in French too.
AHEAD_BY_DAYS = gettext_noop(
    "observedAt %(moment)s is %(count)s days ahead of the hub's clock (%(now)s): "
    "set the device's clock (NTP) and send the reading again."
)
AHEAD_BY_HOURS = gettext_noop(
    "observedAt %(moment)s is %(count)s hours ahead of the hub's clock (%(now)s): "
    "set the device's clock (NTP) and send the reading again."
)
AHEAD_BY_MINUTES = gettext_noop(
    "observedAt %(moment)s is %(count)s minutes ahead of the hub's clock (%(now)s): "
    "set the device's clock (NTP) and send the reading again."
)

# The most specific first: AHEAD would also match a delay written in full.
_TEMPLATES = (
    TOO_MANY_BYTES,
    NOT_JSON,
    NO_READINGS,
    NO_ENTITIES,
    TOO_MANY_READINGS,
    TOO_MANY_ENTITIES,
    READING_NOT_AN_OBJECT,
    ENTITY_NOT_AN_OBJECT,
    UNKNOWN_MEMBERS,
    NO_SENSOR,
    NO_VALUES,
    NOT_A_SCALAR,
    NOT_FINITE,
    TOO_LARGE_A_NUMBER,
    AHEAD_BY_DAYS,
    AHEAD_BY_HOURS,
    AHEAD_BY_MINUTES,
    AHEAD,
    UNSTORABLE_TEXT,
    RESERVED_NAME,
    KEYWORD_NAME,
    GEO_NAME,
    LONG_NAME,
    UNKNOWN_SENSOR,
    UNKNOWN_KIND,
    TOPIC_WITHOUT_TENANT,
    UNKNOWN_TENANT,
    WRITE_FAILED,
)
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern matching the details written from it, the values it
    quotes captured by name (any text, the shortest that lets the whole detail match)."""
    return tuple(
        (re.compile("^" + _PLACEHOLDER.sub(r"(?P<\1>.*?)", re.escape(template)) + "$", re.DOTALL), template)
        for template in _TEMPLATES
    )


def detail_shown(detail: str) -> str:
    """A stored detail in the active language when it was written from one of the templates
    above, the values it quotes as they are; any other detail as it is stored."""
    for pattern, template in _patterns():
        if match := pattern.match(detail):
            return gettext(template) % match.groupdict()
    return detail
