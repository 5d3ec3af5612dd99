from mutualis.registry.imports.command_line import ImportCommand
from mutualis.registry.models import ImportKind


class Command(ImportCommand):
    help = (
        "Import sites from a CSV file or an Excel workbook (.xlsx: its first non-empty sheet). Columns: member (SIREN or INSEE code), kind, name, commune (INSEE code), "
        "and optionally reference, address, postal_code, latitude, longitude, opening_hours, phone; French "
        "names (adherent, type, nom, code_insee…) are accepted too. Every row is checked first: if any row "
        "has a problem, each one is printed as 'line N, column \"C\": reason' and nothing is imported. "
        "With --update, rows whose reference matches a site of the member update it. See docs/imports.md."
    )
    kind = ImportKind.SITES
