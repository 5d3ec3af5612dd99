"""The default wording of every notification, in French and in English.

These are what an operator gets until its admins write their own (EmailTemplate, in the
back-office), and what "reset to the default" brings back. The syntax is Django's
template language, with only the variables of `rendering.VARIABLES`; blank lines that
a `{% if %}` leaves behind are squeezed when rendering.

They are written here, not through gettext, because they are content an admin edits as a
whole, and the starting text must be the same whatever language the admin's page is in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.notifications import NotificationEvent as E

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


FR: dict[str, Wording] = {
    E.CREATED: Wording(
        "Votre demande n° {{ number }} a bien été enregistrée",
        """Bonjour {{ recipient }},

Votre demande n° {{ number }} « {{ title }} » pour {{ site }} a bien été prise en compte.
{% if take_charge_due or resolve_due %}
{% if take_charge_due %}Elle sera prise en charge au plus tard le {{ take_charge_due }}.
{% endif %}{% if resolve_due %}Sa résolution est prévue au plus tard le {{ resolve_due }}.
{% endif %}{% endif %}
Suivez son avancement et échangez avec nos équipes sur {{ url }}
Vous pouvez aussi répondre directement à ce message.

{{ operator }}""",
    ),
    E.STAFF_REPLY: Wording(
        "Nouvelle réponse à votre demande n° {{ number }}",
        """Bonjour {{ recipient }},

{{ author }} a répondu à votre demande n° {{ number }} « {{ title }} » :

{{ reply }}

Répondez au-dessus de la ligne en tête de ce message, ou sur {{ url }}

{{ operator }}""",
    ),
    E.STATE_CHANGED: Wording(
        "Votre demande n° {{ number }} : {{ state }}",
        """Bonjour {{ recipient }},

Votre demande n° {{ number }} « {{ title }} » est passée de « {{ previous_state }} » à « {{ state }} ».
{% if state_code == "waiting_member" %}
Nos équipes attendent une réponse de votre part pour avancer : répondez simplement à ce message.
{% endif %}{% if reply %}
Message de {{ author }} :

{{ reply }}
{% endif %}
Suivre la demande : {{ url }}

{{ operator }}""",
    ),
    E.RESOLVED: Wording(
        "Votre demande n° {{ number }} est résolue",
        """Bonjour {{ recipient }},

Votre demande n° {{ number }} « {{ title }} » a été résolue.
{% if reply %}
Message de {{ author }} :

{{ reply }}
{% endif %}{% if survey_url %}
Êtes-vous satisfait(e) de la réponse apportée ? Donnez votre avis en une minute : {{ survey_url }}
{% endif %}
Si le problème persiste, répondez à ce message{% if reopen_days %} dans les {{ reopen_days }} jours{% endif %} : la demande sera rouverte.
Suivre la demande : {{ url }}

{{ operator }}""",
    ),
    E.TEAM_NEW_TICKET: Wording(
        "Nouvelle demande n° {{ number }} pour {{ team }} : {{ title }}",
        """Bonjour {{ recipient }},

Une nouvelle demande est arrivée dans la file de l’équipe {{ team }}.

N° {{ number }} – {{ title }}
Adhérent : {{ member }}
Site : {{ site }}
Catégorie : {{ category }}
Priorité : {{ priority }}
Déclaré par : {{ requester }}
{% if take_charge_due %}À prendre en charge avant le {{ take_charge_due }}.
{% endif %}{% if resolve_due %}À résoudre avant le {{ resolve_due }}.
{% endif %}{% if description %}
{{ description }}
{% endif %}
{{ url }}""",
    ),
    E.ASSIGNED: Wording(
        "La demande n° {{ number }} vous est attribuée : {{ title }}",
        """Bonjour {{ recipient }},

{{ author }} vous a attribué la demande n° {{ number }} « {{ title }} ».

Adhérent : {{ member }}
Site : {{ site }}
Priorité : {{ priority }}
État : {{ state }}
{% if take_charge_due %}À prendre en charge avant le {{ take_charge_due }}.
{% endif %}{% if resolve_due %}À résoudre avant le {{ resolve_due }}.
{% endif %}
{{ url }}""",
    ),
    E.MEMBER_REPLY: Wording(
        "Nouveau message sur la demande n° {{ number }} : {{ title }}",
        """Bonjour {{ recipient }},

{{ author }} ({{ member }}) a répondu sur la demande n° {{ number }} « {{ title }} » :

{{ reply }}

État : {{ state }}
{{ url }}""",
    ),
    E.SLA_WARNING: Wording(
        "Échéance proche : demande n° {{ number }} ({{ deadline }})",
        """Bonjour {{ recipient }},

L’échéance de {{ deadline }} de la demande n° {{ number }} « {{ title }} » arrive le {{ due_at }}.

Adhérent : {{ member }}
Site : {{ site }}
Priorité : {{ priority }}
État : {{ state }}
Équipe : {{ team|default:"aucune" }}
Attribué à : {{ assignee|default:"personne" }}

{{ url }}""",
    ),
    E.SLA_BREACH: Wording(
        "Échéance dépassée : demande n° {{ number }} ({{ deadline }})",
        """Bonjour {{ recipient }},

L’échéance de {{ deadline }} de la demande n° {{ number }} « {{ title }} » est dépassée : elle était fixée au {{ due_at }}.

Adhérent : {{ member }}
Site : {{ site }}
Priorité : {{ priority }}
État : {{ state }}
Équipe : {{ team|default:"aucune" }}
Attribué à : {{ assignee|default:"personne" }}

{{ url }}""",
    ),
}

EN: dict[str, Wording] = {
    E.CREATED: Wording(
        "Your request no. {{ number }} has been received",
        """Hello {{ recipient }},

Your request no. {{ number }} “{{ title }}” for {{ site }} has been received.
{% if take_charge_due or resolve_due %}
{% if take_charge_due %}It will be taken in charge by {{ take_charge_due }} at the latest.
{% endif %}{% if resolve_due %}It should be resolved by {{ resolve_due }} at the latest.
{% endif %}{% endif %}
Follow it and write to our teams at {{ url }}
You may also reply to this message.

{{ operator }}""",
    ),
    E.STAFF_REPLY: Wording(
        "New reply to your request no. {{ number }}",
        """Hello {{ recipient }},

{{ author }} replied to your request no. {{ number }} “{{ title }}”:

{{ reply }}

Reply above the line at the top of this message, or at {{ url }}

{{ operator }}""",
    ),
    E.STATE_CHANGED: Wording(
        "Your request no. {{ number }}: {{ state }}",
        """Hello {{ recipient }},

Your request no. {{ number }} “{{ title }}” went from “{{ previous_state }}” to “{{ state }}”.
{% if state_code == "waiting_member" %}
Our teams need an answer from you to go on: simply reply to this message.
{% endif %}{% if reply %}
Message from {{ author }}:

{{ reply }}
{% endif %}
Follow the request: {{ url }}

{{ operator }}""",
    ),
    E.RESOLVED: Wording(
        "Your request no. {{ number }} is resolved",
        """Hello {{ recipient }},

Your request no. {{ number }} “{{ title }}” has been resolved.
{% if reply %}
Message from {{ author }}:

{{ reply }}
{% endif %}{% if survey_url %}
Are you satisfied with the answer? Tell us in one minute: {{ survey_url }}
{% endif %}
If the problem persists, reply to this message{% if reopen_days %} within {{ reopen_days }} days{% endif %}: the request will be reopened.
Follow the request: {{ url }}

{{ operator }}""",
    ),
    E.TEAM_NEW_TICKET: Wording(
        "New ticket no. {{ number }} for {{ team }}: {{ title }}",
        """Hello {{ recipient }},

A new ticket arrived in the queue of the team {{ team }}.

No. {{ number }} – {{ title }}
Member: {{ member }}
Site: {{ site }}
Category: {{ category }}
Priority: {{ priority }}
Declared by: {{ requester }}
{% if take_charge_due %}To be taken in charge by {{ take_charge_due }}.
{% endif %}{% if resolve_due %}To be resolved by {{ resolve_due }}.
{% endif %}{% if description %}
{{ description }}
{% endif %}
{{ url }}""",
    ),
    E.ASSIGNED: Wording(
        "Ticket no. {{ number }} is assigned to you: {{ title }}",
        """Hello {{ recipient }},

{{ author }} assigned ticket no. {{ number }} “{{ title }}” to you.

Member: {{ member }}
Site: {{ site }}
Priority: {{ priority }}
State: {{ state }}
{% if take_charge_due %}To be taken in charge by {{ take_charge_due }}.
{% endif %}{% if resolve_due %}To be resolved by {{ resolve_due }}.
{% endif %}
{{ url }}""",
    ),
    E.MEMBER_REPLY: Wording(
        "New message on ticket no. {{ number }}: {{ title }}",
        """Hello {{ recipient }},

{{ author }} ({{ member }}) replied on ticket no. {{ number }} “{{ title }}”:

{{ reply }}

State: {{ state }}
{{ url }}""",
    ),
    E.SLA_WARNING: Wording(
        "Deadline close: ticket no. {{ number }} ({{ deadline }})",
        """Hello {{ recipient }},

The {{ deadline }} deadline of ticket no. {{ number }} “{{ title }}” is {{ due_at }}.

Member: {{ member }}
Site: {{ site }}
Priority: {{ priority }}
State: {{ state }}
Team: {{ team|default:"none" }}
Assigned to: {{ assignee|default:"nobody" }}

{{ url }}""",
    ),
    E.SLA_BREACH: Wording(
        "Deadline missed: ticket no. {{ number }} ({{ deadline }})",
        """Hello {{ recipient }},

The {{ deadline }} deadline of ticket no. {{ number }} “{{ title }}” is missed: it was {{ due_at }}.

Member: {{ member }}
Site: {{ site }}
Priority: {{ priority }}
State: {{ state }}
Team: {{ team|default:"none" }}
Assigned to: {{ assignee|default:"nobody" }}

{{ url }}""",
    ),
}

DEFAULTS: dict[str, dict[str, Wording]] = {"fr": FR, "en": EN}

# Words the code puts into variables, in each language of the defaults (not gettext: they
# go with the templates above, and an email must not depend on the catalogue being built).
DEADLINES = {
    "fr": {"take_charge": "prise en charge", "resolve": "résolution"},
    "en": {"take_charge": "take-charge", "resolve": "resolution"},
}
# Dates in emails: "lundi 3 mars 2025 à 14h00" (no request, no locale middleware: the
# format is chosen by the recipient's language).
DATETIME_FORMATS = {"fr": r"l j F Y à H\hi", "en": r"l j F Y, H:i"}
# Under every notification, and not editable: how to stop receiving it.
FOOTER = {
    "fr": "—\nVous recevez ce message du centre de services {operator}. "
    "Choisissez les notifications que vous recevez : {preferences_url}",
    "en": "—\nThis message comes from the service desk of {operator}. "
    "Choose the notifications you receive: {preferences_url}",
}


def language_of(code: str | None) -> str:
    return code if code in DEFAULTS else DEFAULT_LANGUAGE


def default_wording(event: str, language: str) -> Wording:
    return DEFAULTS[language_of(language)][event]
