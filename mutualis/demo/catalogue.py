"""The operator's reference lists: services, kinds of site, types and models of asset.

These rows are shared by every operator (they are editable lists in the back-office), so
the generator only adds what is missing and never renames what an administrator edited.
Manufacturers and models are real products of the kinds public buyers list in their
framework contracts; prices are typical public-contract unit prices (EUR, excl. VAT).
"""

from __future__ import annotations

from dataclasses import dataclass

from mutualis.registry.models import AssetModel, AssetType, Service, SiteKind

SERVICES: tuple[tuple[str, str, str], ...] = (
    ("portail", "Portail et service desk", "Déclarer un incident et suivre sa résolution."),
    (
        "tablettes",
        "Tablettes éducatives",
        "Tablettes pour élèves, enseignants, enfants confiés et résidents.",
    ),
    ("videoprotection", "Vidéoprotection", "Caméras autour des bâtiments publics et sur la voie publique."),
    (
        "supervision",
        "Supervision (PCSU)",
        "Poste central de supervision : alarmes intrusion et levée de doute.",
    ),
    ("irve", "Bornes de recharge (IRVE)", "Installation, maintenance et supervision des bornes de recharge."),
    ("achats", "Centrale d’achats", "Accords-cadres mutualisés à prix négociés."),
    ("territoires-connectes", "Territoires connectés (capteurs)", "Capteurs, réseau de collecte et données."),
    ("cybersecurite", "Cybersécurité", "Sensibilisation, audits, sauvegarde externalisée, SOC."),
    ("inclusion", "Inclusion numérique (Pass numérique)", "Chèques de formation aux usages numériques."),
    ("archivage", "Archivage électronique", "Système d’archivage électronique hybride (SAEH)."),
    ("signature", "Signature électronique", "Parapheurs et circuits de signature électronique."),
    (
        "maintenance-ecoles",
        "Maintenance informatique des écoles",
        "Maintenance du parc informatique des écoles.",
    ),
)

SITE_KINDS: tuple[tuple[str, str], ...] = (
    ("college", "Collège"),
    ("ecole", "École"),
    ("mairie", "Mairie"),
    ("caserne", "Caserne SDIS"),
    ("ehpad", "EHPAD"),
    ("batiment-departemental", "Bâtiment départemental"),
    ("voirie", "Voirie"),
    ("parking", "Parking"),
    ("mediatheque", "Médiathèque"),
    ("centre-pmi", "Centre de PMI"),
    ("foyer-enfance", "Foyer de l’enfance"),
    ("salle-universitaire", "Salle universitaire"),
    ("musee", "Musée"),
    ("centre-technique", "Centre technique municipal"),
)


@dataclass(frozen=True)
class ModelSpec:
    manufacturer: str
    name: str
    # Serial number pattern: literal text with {A8} (8 letters or digits), {D6} (digits),
    # {H6} (hexadecimal digits), following each manufacturer's usual shape.
    serial: str
    price: tuple[int, int]
    warranty_months: int


@dataclass(frozen=True)
class AssetTypeSpec:
    code: str
    name: str
    lifetime_months: int
    tag_prefix: str
    models: tuple[ModelSpec, ...]


def _m(manufacturer: str, name: str, serial: str, price: tuple[int, int], warranty: int) -> ModelSpec:
    return ModelSpec(manufacturer, name, serial, price, warranty)


ASSET_TYPES: tuple[AssetTypeSpec, ...] = (
    AssetTypeSpec("tablette", "Tablette", 48, "TAB", (
        _m("Lenovo", "Tab M10 (3e génération)", "HA{A6}", (169, 199), 24),
        _m("Samsung", "Galaxy Tab A8", "R9{A9}", (189, 229), 24),
        _m("Apple", "iPad 10,2 pouces (9e génération)", "{A10}", (329, 369), 12),
        _m("Samsung", "Galaxy Tab S6 Lite", "R5{A9}", (269, 309), 24),
    )),
    AssetTypeSpec("camera", "Caméra de vidéoprotection", 84, "CAM", (
        _m("Axis", "P3245-V", "ACCC8E{H6}", (520, 640), 60),
        _m("Axis", "Q6075-E", "B8A44F{H6}", (2100, 2600), 60),
        _m("Hanwha Vision", "XNV-8080R", "ZN{D2}{A8}", (430, 560), 36),
        _m("Bosch", "FLEXIDOME IP 5000i", "0{D9}", (610, 760), 36),
    )),
    AssetTypeSpec("enregistreur", "Enregistreur vidéo", 60, "ENR", (
        _m("Axis", "S3008 Recorder", "ACCC8E{H6}", (1300, 1650), 36),
        _m("Hanwha Vision", "XRN-1610S", "ZV{D2}{A8}", (2400, 3100), 36),
        _m("Bosch", "DIVAR IP all-in-one 5000", "0{D9}", (3400, 4200), 36),
    )),
    AssetTypeSpec("videoprojecteur", "Vidéoprojecteur interactif", 72, "VPI", (
        _m("Epson", "EB-735Fi", "X{A3}{D6}", (1650, 1950), 60),
        _m("Epson", "EB-725Wi", "X{A3}{D6}", (1350, 1600), 60),
        _m("BenQ", "MW855UST+", "PD{A8}", (1200, 1450), 36),
    )),
    AssetTypeSpec("poste-travail", "Poste de travail", 60, "PC", (
        _m("Dell", "OptiPlex 7010", "{A7}", (690, 820), 36),
        _m("HP", "ProDesk 400 G7", "CZC{A7}", (640, 760), 36),
        _m("Lenovo", "ThinkCentre M70q", "MJ{A6}", (620, 740), 36),
    )),
    AssetTypeSpec("serveur", "Serveur", 72, "SRV", (
        _m("Dell", "PowerEdge T350", "{A7}", (2900, 3800), 60),
        _m("HPE", "ProLiant DL360 Gen10", "CZJ{A7}", (4800, 6900), 60),
    )),
    AssetTypeSpec("commutateur", "Commutateur réseau", 96, "SW", (
        _m("Cisco", "Catalyst 9200L-48P", "FOC{D4}{A4}", (2300, 2900), 60),
        _m("Cisco", "Catalyst 1000-24P", "FOC{D4}{A4}", (620, 780), 60),
        _m("HPE Aruba", "2930F-24G", "CN{A8}", (1400, 1750), 60),
    )),
    AssetTypeSpec("borne-wifi", "Borne Wi-Fi", 84, "WIFI", (
        _m("HPE Aruba", "AP-515", "CN{A8}", (520, 640), 60),
        _m("HPE Aruba", "AP-305", "CN{A8}", (330, 420), 60),
        _m("Cisco", "Catalyst 9120AXI", "FJC{D4}{A4}", (610, 720), 60),
    )),
    AssetTypeSpec("borne-recharge", "Borne de recharge", 120, "IRVE", (
        _m("Schneider Electric", "EVlink Pro AC", "3N{D10}", (1900, 2400), 24),
        _m("Hager", "witty park", "HG{D8}", (2100, 2600), 24),
        _m("ABB", "Terra AC", "TACW{D8}", (1500, 1900), 24),
    )),
    AssetTypeSpec("capteur", "Capteur", 60, "CAPT", (
        _m("Milesight", "AM319 (qualité de l’air intérieur)", "6{H15}", (190, 240), 24),
        _m("Milesight", "EM310-UDL (détection de crue)", "6{H15}", (150, 190), 24),
        _m("Elsys", "ERS CO2", "A81758{H10}", (160, 210), 24),
        _m("Eco-Compteur", "ZELT (comptage vélos)", "Y{D7}", (2200, 2900), 24),
    )),
    AssetTypeSpec("cabine-telemedecine", "Cabine de télémédecine", 96, "TLM", (
        _m("H4D", "Consult Station", "CS{D6}", (48000, 59000), 24),
        _m("Tessan", "Cabine de téléconsultation", "TS{D7}", (36000, 44000), 24),
    )),
    AssetTypeSpec("equipement-telemedecine", "Équipement de télémédecine", 60, "TLE", (
        _m("Withings", "BPM Connect (tensiomètre)", "{H12}", (90, 110), 24),
        _m("Riester", "ri-scope L (otoscope)", "RI{D8}", (420, 560), 24),
        _m("Nonin", "Onyx Vantage 9590 (oxymètre)", "5{D8}", (240, 310), 24),
    )),
    AssetTypeSpec("audiovisuel", "Équipement audiovisuel", 84, "AV", (
        _m("Barco", "ClickShare CX-50", "1{D9}", (2900, 3600), 36),
        _m("Crestron", "Flex UC-MM30-Z", "{D10}", (6500, 8200), 36),
        _m("Sony", "Bravia Pro FW-75BZ35L", "{D7}", (2600, 3300), 36),
    )),
    AssetTypeSpec("centrale-alarme", "Centrale d’alarme intrusion", 120, "ALM", (
        _m("Ajax", "Hub 2 Plus", "{H8}", (390, 480), 24),
        _m("Risco", "LightSYS+", "RP{D9}", (620, 780), 24),
        _m("Vanderbilt", "SPC5320", "V{D8}", (880, 1100), 24),
    )),
)  # fmt: skip

ASSET_TYPE_SPECS = {spec.code: spec for spec in ASSET_TYPES}


@dataclass
class Reference:
    """The reference rows, looked up by code, for the stages that follow."""

    services: dict[str, Service]
    site_kinds: dict[str, SiteKind]
    asset_types: dict[str, AssetType]
    # (asset type code, manufacturer, model name) -> row
    asset_models: dict[tuple[str, str, str], AssetModel]

    def model_for(self, type_code: str, spec: ModelSpec) -> AssetModel:
        return self.asset_models[(type_code, spec.manufacturer, spec.name)]


def ensure_reference() -> Reference:
    """Add the reference rows that are missing; leave existing ones as administrators left them."""
    services = {s.code: s for s in Service.objects.filter(code__in=[c for c, _n, _d in SERVICES])}
    for code, name, description in SERVICES:
        if code not in services:
            services[code] = Service.objects.create(code=code, name=name, description=description)
    kinds = {k.code: k for k in SiteKind.objects.filter(code__in=[c for c, _n in SITE_KINDS])}
    for code, name in SITE_KINDS:
        if code not in kinds:
            kinds[code] = SiteKind.objects.create(code=code, name=name)
    types = {t.code: t for t in AssetType.objects.filter(code__in=list(ASSET_TYPE_SPECS))}
    for spec in ASSET_TYPES:
        if spec.code not in types:
            types[spec.code] = AssetType.objects.create(
                code=spec.code, name=spec.name, expected_lifetime_months=spec.lifetime_months
            )
    models = {
        (m.asset_type.code, m.manufacturer, m.name): m
        for m in AssetModel.objects.filter(asset_type__in=types.values()).select_related("asset_type")
    }
    for spec in ASSET_TYPES:
        for model in spec.models:
            key = (spec.code, model.manufacturer, model.name)
            if key not in models:
                models[key] = AssetModel.objects.create(
                    asset_type=types[spec.code], manufacturer=model.manufacturer, name=model.name
                )
    return Reference(services=services, site_kinds=kinds, asset_types=types, asset_models=models)
