from mutualis.registry.imports.command_line import ImportCommand
from mutualis.registry.models import ImportKind


class Command(ImportCommand):
    help = (
        "Import equipment from a CSV file or an Excel workbook (.xlsx: its first non-empty sheet). Columns: inventory_tag, type, the site (member and site reference, "
        "or site_id), and optionally manufacturer, model, serial_number, label, status, acquired_on, "
        "warranty_ends_on, acquisition_cost, parent_tag; French names (numero_inventaire, fabricant, modele, "
        "statut…) are accepted too. Every row is checked first: if any row has a problem, each one is "
        "printed as 'line N, column \"C\": reason' and nothing is imported. With --update, rows whose "
        "inventory tag is already recorded update that equipment (status changes follow its life cycle and "
        "are kept in its history). See docs/imports.md."
    )
    kind = ImportKind.ASSETS
