"""The shape of the demo's service-desk catalogue: teams, categories, incident types and
their questions, as plain data (the rows are written by desk_catalogue.py).

An incident type also carries what the ticket generator needs to make believable tickets
of it: titles and details people write, how often it happens, how it is usually handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mutualis.servicedesk.models import FormFieldKind, Priority

# Kinds of site (demo/catalogue.py SITE_KINDS), grouped the way the catalogue offers types.
SCHOOLS = ("college", "ecole")
CARE = ("ehpad", "foyer-enfance", "centre-pmi")
OFFICES = ("mairie", "batiment-departemental", "centre-technique", "musee", "mediatheque")
STAFFED = (*SCHOOLS, *CARE, *OFFICES, "caserne", "salle-universitaire")
TABLETS = ("college", "ehpad", "foyer-enfance")
VIDEO = ("college", "caserne", "batiment-departemental", "voirie")


@dataclass(frozen=True)
class TeamSpec:
    code: str
    name: str
    # Who belongs: job titles of the demo's operator staff (people.py OPERATOR_JOBS).
    jobs: tuple[str, ...]


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("centre-services", "Centre de services", ("Agent du service desk",)),
    TeamSpec("terrain-78", "Techniciens terrain Yvelines", ("Technicien de proximité", "Technicien IRVE")),
    TeamSpec("terrain-92", "Techniciens terrain Hauts-de-Seine", ("Technicien de proximité",)),
    TeamSpec(
        "video-supervision",
        "Vidéoprotection et supervision",
        ("Technicien vidéoprotection", "Opérateur de supervision (PCSU)"),
    ),
    TeamSpec("reseaux-telecoms", "Réseaux et télécoms", ("Technicien réseaux",)),
    TeamSpec("numerique-educatif", "Numérique éducatif", ("Technicien de proximité",)),
    TeamSpec("irve", "IRVE", ("Technicien IRVE",)),
)
# Field work in the Hauts-de-Seine goes to that team when the type's team is the Yvelines'.
FIELD_TEAM, FIELD_TEAM_92 = "terrain-78", "terrain-92"
DESK_TEAM = "centre-services"


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    parent: str = ""


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("tablette", "Tablette"),
    CategorySpec("vpi", "Vidéoprojecteur interactif"),
    CategorySpec("poste", "Poste de travail"),
    CategorySpec("reseau", "Réseau et Wi-Fi"),
    CategorySpec("serveur", "Serveur et sauvegarde"),
    CategorySpec("video", "Vidéoprotection"),
    CategorySpec("alarme", "Alarme intrusion"),
    CategorySpec("telephonie", "Téléphonie"),
    CategorySpec("logiciels", "Logiciels et comptes"),
    CategorySpec("comptes", "Comptes et mots de passe", parent="logiciels"),
    CategorySpec("pedagogie", "ENT et logiciels pédagogiques", parent="logiciels"),
    CategorySpec("metier", "Logiciels métier", parent="logiciels"),
    CategorySpec("cyber", "Sécurité informatique", parent="logiciels"),
    CategorySpec("irve", "Borne de recharge"),
    CategorySpec("telemedecine", "Télémédecine"),
    CategorySpec("audiovisuel", "Audiovisuel"),
    CategorySpec("capteurs", "Capteurs connectés"),
)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str
    required: bool = False
    help_text: str = ""
    choices: tuple[str, ...] = ()
    # What the generator answers: sample texts, a range of numbers, the chance of "yes".
    samples: tuple[str, ...] = ()
    numbers: tuple[int, int] = (1, 5)
    yes: float = 0.5


@dataclass(frozen=True)
class Handling:
    """How tickets of a type usually go: hours of work before resolution (working time),
    and the chances of waiting for the member or for a third party (supplier, carrier)."""

    work_hours: tuple[float, float]
    waiting_member: float
    third_party: float
    third_party_days: tuple[int, int] = (2, 15)


REMOTE = Handling(work_hours=(0.2, 3), waiting_member=0.18, third_party=0.02)
FIELD = Handling(work_hours=(3, 40), waiting_member=0.12, third_party=0.08)
PART = Handling(work_hours=(4, 40), waiting_member=0.10, third_party=0.45, third_party_days=(4, 30))
SUPPLIER = Handling(work_hours=(2, 20), waiting_member=0.08, third_party=0.35, third_party_days=(1, 12))


@dataclass(frozen=True)
class TypeSpec:
    category: str
    name: str
    description: str
    keywords: str
    kinds: tuple[str, ...]
    priority: int
    team: str
    titles: tuple[str, ...]
    details: tuple[str, ...]
    fields: tuple[FieldSpec, ...] = ()
    asset_type: str = ""
    asset_required: bool = False
    # Tickets a year per piece of equipment of `asset_type` at a site, or, for a type
    # without one, per site (scaled by the site's size in desk_world.py).
    rate: float = 0.5
    handling: Handling = field(default=FIELD)
    # Up to how many pieces of equipment a ticket names (a broken recorder takes cameras
    # down with it).
    max_assets: int = 1


def since(label: str = "Depuis quand ?") -> FieldSpec:
    return FieldSpec("depuis", label, FormFieldKind.DATE, required=True)


def usable(label: str = "L’équipement est-il encore utilisable ?", yes: float = 0.3) -> FieldSpec:
    return FieldSpec("utilisable", label, FormFieldKind.YES_NO, required=True, yes=yes)


def yes_no(key: str, label: str, yes: float = 0.5) -> FieldSpec:
    return FieldSpec(key, label, FormFieldKind.YES_NO, required=True, yes=yes)


def pupils(label: str = "Combien d’élèves concernés ?", numbers: tuple[int, int] = (1, 30)) -> FieldSpec:
    return FieldSpec("eleves", label, FormFieldKind.NUMBER, numbers=numbers)


def how_many(key: str, label: str, numbers: tuple[int, int], required: bool = False) -> FieldSpec:
    return FieldSpec(key, label, FormFieldKind.NUMBER, required=required, numbers=numbers)


def equipment(label: str, required: bool = True) -> FieldSpec:
    return FieldSpec(
        "equipement",
        label,
        FormFieldKind.ASSET,
        required=required,
        help_text="Le numéro d’inventaire figure sur l’étiquette collée sur l’équipement.",
    )


def choice(key: str, label: str, *options: str, required: bool = True) -> FieldSpec:
    return FieldSpec(key, label, FormFieldKind.CHOICE, required=required, choices=options)


def several(key: str, label: str, *options: str) -> FieldSpec:
    return FieldSpec(key, label, FormFieldKind.MULTIPLE_CHOICE, choices=options)


def text(key: str, label: str, *samples: str, required: bool = False, long: bool = False) -> FieldSpec:
    kind = FormFieldKind.LONG_TEXT if long else FormFieldKind.SHORT_TEXT
    return FieldSpec(key, label, kind, required=required, samples=samples)


P1, P2, P3, P4 = Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW
