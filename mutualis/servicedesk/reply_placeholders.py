"""The placeholders of reply templates ("réponses types"): `{numéro}`, `{demandeur}`…

A template's text is the operator's staff's own words, inserted into a reply box: it is
never run by a template engine. A placeholder is a name between single braces, looked up
in the fixed table below and replaced by plain text; nothing reads an attribute by a name
the text gives, so a template can show nothing but what the table names. Names are read
without regard to case and accents (`{Numéro}`, `{numero}`), in French or in English
(`{number}`), whatever the reader's language: the same template works for every agent.
An unknown name is refused when the template is saved (`validate_placeholders`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from mutualis.people.models import User

    from .models import Ticket

# Anything between single braces on one line is meant as a placeholder; a longer run is
# prose with a stray brace, left alone.
PLACEHOLDER = re.compile(r"\{([^{}\n]{0,60})\}")


@dataclass(frozen=True)
class Placeholder:
    french: str
    english: str
    meaning: Promise
    value: Callable[[Ticket, User], str]

    @property
    def shown(self) -> str:
        """The name written in the reader's language, between its braces."""
        name = self.french if (get_language() or "fr").startswith("fr") else self.english
        return "{" + name + "}"


def _number(ticket: Ticket, agent: User) -> str:
    return str(ticket.number)


def _title(ticket: Ticket, agent: User) -> str:
    return ticket.title


def _requester(ticket: Ticket, agent: User) -> str:
    # A request by phone or email may have no account behind it: the usual French address.
    name = ticket.requester.full_name if ticket.requester else ""
    return name or gettext("Madam, Sir")


def _site(ticket: Ticket, agent: User) -> str:
    return ticket.site.name


def _member(ticket: Ticket, agent: User) -> str:
    return ticket.member.name


def _agent(ticket: Ticket, agent: User) -> str:
    return agent.full_name or agent.email


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("numéro", "number", _("the request’s number, e.g. 1234"), _number),
    Placeholder("titre", "title", _("the request’s title"), _title),
    Placeholder("demandeur", "requester", _("the name of the person who declared it"), _requester),
    Placeholder("site", "site", _("the name of the site"), _site),
    Placeholder("adhérent", "member", _("the name of the member"), _member),
    Placeholder("agent", "agent", _("your own name, as the agent who inserts the text"), _agent),
)


def _key(name: str) -> str:
    """A name as compared: trimmed, lower case, without accents ("Adhérent " → "adherent")."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_BY_KEY = {_key(name): p for p in PLACEHOLDERS for name in (p.french, p.english)}


def known_names() -> str:
    """The placeholders, as the reader writes them: "{numéro}, {titre}, …"."""
    return ", ".join(p.shown for p in PLACEHOLDERS)


def validate_placeholders(text: str) -> None:
    """Refuse a text with a placeholder no table entry names, naming each one."""
    if "{{" in text or "}}" in text:
        raise ValidationError(
            gettext("Write a placeholder between single braces, e.g. %(example)s, not double ones."),
            code="double_braces",
            params={"example": PLACEHOLDERS[1].shown},
        )
    unknown = list(
        dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(text) if _key(m.group(1)) not in _BY_KEY)
    )
    if unknown:
        raise ValidationError(
            ngettext(
                "%(names)s is not a placeholder. Use one of: %(known)s.",
                "%(names)s are not placeholders. Use one of: %(known)s.",
                len(unknown),
            ),
            code="unknown_placeholder",
            params={"names": ", ".join(unknown), "known": known_names()},
        )


def fill(text: str, *, ticket: Ticket, agent: User) -> str:
    """`text` with each placeholder replaced by the ticket's value, as plain text (the
    page escapes it like anything typed). A name unknown here (a template saved before a
    placeholder was removed) is left as written, for the agent to see and fix."""

    def replace(match: re.Match[str]) -> str:
        placeholder = _BY_KEY.get(_key(match.group(1)))
        return placeholder.value(ticket, agent) if placeholder else match.group(0)

    return PLACEHOLDER.sub(replace, text)
