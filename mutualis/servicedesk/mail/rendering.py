"""Rendering notification templates, and checking those operator admins write.

A template is Django's template language on a short leash: its own engine (no template
loaders, no tag libraries to `{% load %}`), a few harmless tags, and only the variables
listed in `VARIABLES`. Every value given to a template is a plain string, already
formatted for the recipient's language, so no template reaches an object, a query or a
setting. A template using anything else is refused with a message saying what and where.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import (
    AutoEscapeControlNode,
    CommentNode,
    FirstOfNode,
    ForNode,
    IfNode,
    NowNode,
    SpacelessNode,
    TemplateTagNode,
    VerbatimNode,
    WithNode,
)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .texts import Wording

# What a template may name. The help text is shown under the template editor.
VARIABLES: dict[str, Any] = {
    "number": gettext_lazy("the ticket's number"),
    "title": gettext_lazy("the ticket's title"),
    "description": gettext_lazy("the description the member wrote"),
    "state": gettext_lazy("the ticket's state, in words"),
    "state_code": gettext_lazy("the state as a code: new, assigned, in_progress, waiting_member…"),
    "previous_state": gettext_lazy("the state before the change, in words"),
    "site": gettext_lazy("the site concerned"),
    "member": gettext_lazy("the member (commune, EPCI…)"),
    "category": gettext_lazy("the ticket's category"),
    "priority": gettext_lazy("the priority, in words"),
    "team": gettext_lazy("the team handling the ticket"),
    "assignee": gettext_lazy("the technician assigned (empty if none)"),
    "requester": gettext_lazy("who declared the ticket"),
    "recipient": gettext_lazy("the name of the person the email is for"),
    "author": gettext_lazy("who wrote the reply or made the change"),
    "reply": gettext_lazy("the text of the reply (never an internal note)"),
    "url": gettext_lazy("the address of the ticket's page"),
    "created_at": gettext_lazy("when the ticket was declared"),
    "take_charge_due": gettext_lazy("when it must be taken in charge (empty without a service level)"),
    "resolve_due": gettext_lazy("when it must be resolved (empty without a service level)"),
    "reopen_days": gettext_lazy("days the member has to reopen a resolved ticket"),
    "survey_url": gettext_lazy("the satisfaction survey's address (resolved tickets)"),
    "deadline": gettext_lazy("deadline alerts: which deadline (taking charge, resolution)"),
    "due_at": gettext_lazy("deadline alerts: when it is, or was, due"),
    "operator": gettext_lazy("the operator's name"),
}

# Tags that only shape text. Anything else ({% include %}, {% load %}, {% url %},
# {% debug %}, {% csrf_token %}…) reads beyond the variables or makes no sense in an email.
ALLOWED_NODES: tuple[type[Node], ...] = (
    TextNode,
    VariableNode,
    IfNode,
    ForNode,
    WithNode,
    FirstOfNode,
    CommentNode,
    NowNode,
    SpacelessNode,
    AutoEscapeControlNode,
    VerbatimNode,
    TemplateTagNode,
)

# Plain text: nothing is HTML-escaped (an apostrophe stays an apostrophe).
ENGINE = Engine(loaders=[], libraries={}, autoescape=False, debug=False)


def _tag_name(node: Node) -> str:
    token = getattr(node, "token", None)
    contents = getattr(token, "contents", "") or ""
    return contents.split()[0] if contents else type(node).__name__


def _expressions(node: Node) -> Iterator[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _condition_expressions(condition)
    elif isinstance(node, ForNode) and isinstance(node.sequence, FilterExpression):
        yield node.sequence
    elif isinstance(node, WithNode):
        yield from node.extra_context.values()
    elif isinstance(node, FirstOfNode):
        yield from (v for v in node.vars if isinstance(v, FilterExpression))


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    """The operands of an `{% if %}` condition (smartif's tree of operators and literals)."""
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in ("first", "second"):
        operand = getattr(condition, side, None)
        if operand is not None:
            yield from _condition_expressions(operand)


def _names(expression: FilterExpression) -> Iterator[str]:
    """The root names an expression reads: its variable and its filters' arguments."""
    candidates: list[Any] = [expression.var]
    for _func, args in expression.filters:
        candidates += [arg for is_variable, arg in args if is_variable]
    for candidate in candidates:
        if isinstance(candidate, Variable) and candidate.lookups:
            yield candidate.lookups[0]


def _locals(node: Node) -> set[str]:
    if isinstance(node, ForNode):
        return {*node.loopvars, "forloop"}
    if isinstance(node, WithNode):
        return set(node.extra_context)
    return set()


def check_source(source: str) -> list[str]:
    """What is wrong with a template, as sentences for the person who wrote it (none: fine)."""
    try:
        template = ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        if "registered tag library" in str(exc):
            return [_("Tag libraries cannot be loaded in an email ({% load %}).")]
        return [_("Template syntax error: %(error)s") % {"error": exc}]
    nodes = template.nodelist.get_nodes_by_type(Node)
    problems: list[str] = []
    for node in nodes:
        if not isinstance(node, ALLOWED_NODES):
            problems.append(
                _("The tag “{%% %(tag)s %%}” cannot be used in an email.") % {"tag": _tag_name(node)}
            )
    # Loop and `with` names are allowed anywhere: a template misusing them outside their
    # block renders them empty, which is harmless.
    local_names = set().union(*(_locals(node) for node in nodes))
    unknown: list[str] = []
    for node in nodes:
        for expression in _expressions(node):
            for name in _names(expression):
                if name not in VARIABLES and name not in local_names and name not in unknown:
                    unknown.append(name)
    if unknown:
        problems.append(
            _("Unknown variable: %(unknown)s. Available: %(names)s.")
            % {
                "unknown": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "names": ", ".join(VARIABLES),
            }
        )
    return problems


def validate_template(source: str) -> None:
    """For forms: a ValidationError listing every problem of `source`."""
    problems = check_source(source)
    if problems:
        raise ValidationError(problems)
    try:
        render_source(source, sample_context("fr"))
    except Exception as exc:  # any failure to render is the author's to fix
        raise ValidationError(_("This template cannot be rendered: %(error)s") % {"error": exc}) from exc


def render_source(source: str, context: dict[str, Any]) -> str:
    return _compiled(source).render(Context(context, autoescape=False))


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A wording compiled once per process: a new ticket renders the same few wordings for
    each of its recipients, and compiling them was a tenth of declaring it (a compiled
    Django template holds no state between renders, as the cached template loader relies
    on). Keyed by the text itself, so an edited template is simply another entry."""
    return ENGINE.from_string(source)


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")


def tidy_body(text: str) -> str:
    """The text as a person would have typed it: no trailing spaces, no run of blank lines
    left by `{% if %}` blocks, one line end style."""
    text = text.replace("\r\n", "\n")
    text = _TRAILING_SPACES.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def tidy_subject(text: str) -> str:
    # A subject is one line: a newline in it would start another header.
    return " ".join(text.split())


def render_wording(wording: Wording, context: dict[str, Any]) -> tuple[str, str]:
    return tidy_subject(render_source(wording.subject, context)), tidy_body(
        render_source(wording.body, context)
    )


SAMPLES: dict[str, dict[str, str]] = {
    "fr": {
        "number": "1234",
        "title": "Écran de la salle du conseil cassé",
        "description": "L’écran ne s’allume plus depuis ce matin.",
        "state": "résolu",
        "state_code": "resolved",
        "previous_state": "en cours",
        "site": "Mairie de Versailles",
        "member": "Versailles",
        "category": "Affichage",
        "priority": "P3 – normale",
        "team": "Support terrain",
        "assignee": "Thérèse Martin",
        "requester": "Alice Dupont",
        "recipient": "Alice Dupont",
        "author": "Thérèse Martin",
        "reply": "Nous avons remplacé l’alimentation de l’écran : il fonctionne à nouveau.",
        "url": "https://mutualis.example/tickets/1234/",
        "created_at": "lundi 3 mars 2025 à 09h12",
        "take_charge_due": "lundi 3 mars 2025 à 13h12",
        "resolve_due": "mercredi 5 mars 2025 à 09h12",
        "reopen_days": "14",
        "survey_url": "https://mutualis.example/satisfaction/exemple/",
        "deadline": "prise en charge",
        "due_at": "lundi 3 mars 2025 à 13h12",
        "operator": "Opérateur public de services numériques",
    },
    "en": {
        "number": "1234",
        "title": "Broken screen in the council room",
        "description": "The screen has not turned on since this morning.",
        "state": "resolved",
        "state_code": "resolved",
        "previous_state": "in progress",
        "site": "Versailles town hall",
        "member": "Versailles",
        "category": "Display",
        "priority": "P3 – normal",
        "team": "Field support",
        "assignee": "Thérèse Martin",
        "requester": "Alice Dupont",
        "recipient": "Alice Dupont",
        "author": "Thérèse Martin",
        "reply": "We replaced the screen's power supply: it works again.",
        "url": "https://mutualis.example/tickets/1234/",
        "created_at": "Monday 3 March 2025, 09:12",
        "take_charge_due": "Monday 3 March 2025, 13:12",
        "resolve_due": "Wednesday 5 March 2025, 09:12",
        "reopen_days": "14",
        "survey_url": "https://mutualis.example/satisfaction/example/",
        "deadline": "take-charge",
        "due_at": "Monday 3 March 2025, 13:12",
        "operator": "Public digital-services operator",
    },
}


def sample_context(language: str) -> dict[str, str]:
    """Made-up values for previews and for checking that a template renders."""
    return dict(SAMPLES.get(language, SAMPLES["fr"]))
