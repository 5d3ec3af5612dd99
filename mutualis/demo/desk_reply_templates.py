"""The demo operator's reply templates ("réponses types"): what its agents answer all day,
for everyone or for one team, in typographic French (’, « », a no-break space before
: and a narrow one before ; ? !)."""

from __future__ import annotations

from mutualis.registry.models import Operator
from mutualis.servicedesk.models import ReplyTemplate, Team

# (team code or None for everyone, title, text, active)
REPLY_TEMPLATES: tuple[tuple[str | None, str, str, bool], ...] = (
    (
        None,
        "Prise en compte",
        "Bonjour {demandeur},\n\n"
        "Votre demande n° {numéro} («\u00a0{titre}\u00a0») est prise en compte par le centre de "
        "services. Nous revenons vers vous dès que possible.\n\n"
        "Cordialement,\n{agent}",
        True,
    ),
    (
        None,
        "Numéro de série demandé",
        "Bonjour {demandeur},\n\n"
        "Pour avancer sur votre demande n° {numéro}, pouvez-vous nous envoyer le numéro de série "
        "de l’équipement\u202f? Il figure sur l’étiquette collée au dos ou sous l’appareil. Une "
        "photo de l’étiquette suffit.\n\n"
        "Merci d’avance,\n{agent}",
        True,
    ),
    (
        None,
        "Sans nouvelles de votre part",
        "Bonjour {demandeur},\n\n"
        "Nous n’avons pas eu de retour de votre part au sujet de la demande n° {numéro}. Sans "
        "nouvelles d’ici une semaine, nous la considérerons comme résolue\u202f; il vous suffira "
        "de répondre à ce message si le problème persiste.\n\n"
        "Cordialement,\n{agent}",
        True,
    ),
    (
        "terrain-78",
        "Passage d’un technicien",
        "Bonjour {demandeur},\n\n"
        "Un technicien passera sur le site «\u00a0{site}\u00a0» pour la demande n° {numéro}. "
        "Pouvez-vous nous indiquer un créneau où une personne sera présente pour lui ouvrir\u202f?\n\n"
        "Cordialement,\n{agent}",
        True,
    ),
    (
        "centre-services",
        "Mot de passe réinitialisé",
        "Bonjour {demandeur},\n\n"
        "Le mot de passe du compte a été réinitialisé. Un mot de passe provisoire vous a été "
        "envoyé par SMS\u00a0: il devra être changé à la première connexion.\n\n"
        "Cordialement,\n{agent}",
        True,
    ),
    (
        "video-supervision",
        "Levée de doute effectuée",
        "Levée de doute effectuée sur le site «\u00a0{site}\u00a0» ({adhérent})\u00a0: "
        "aucune intrusion constatée. Alarme acquittée, à surveiller.",
        True,
    ),
    (
        None,
        "Fermeture estivale (ancienne)",
        "Bonjour {demandeur},\n\n"
        "Le centre de services est fermé du 1er au 15 août\u202f; votre demande n° {numéro} sera "
        "traitée à la réouverture.\n\n"
        "Cordialement,\n{agent}",
        False,
    ),
)


def build_reply_templates(operator: Operator, teams: dict[str, Team]) -> int:
    rows = []
    for team_code, title, body, active in REPLY_TEMPLATES:
        row = ReplyTemplate(
            operator=operator,
            team=teams[team_code] if team_code else None,
            title=title,
            body=body,
            is_active=active,
        )
        row.full_clean(exclude=["operator", "team"])
        rows.append(row)
    ReplyTemplate.objects.bulk_create(rows)
    return len(rows)
