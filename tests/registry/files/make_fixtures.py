"""Sources of tests/registry/files/*: written with openpyxl, then saved by LibreOffice."""

import datetime as dt

from openpyxl import Workbook

wb = Workbook()
notice = wb.active
notice.title = "Notice"
notice.append(["Inventaire des sites de l'Ain et de Corse-du-Sud."])
notice.append(["Une ligne par site ; ne pas renommer les colonnes."])
ws = wb.create_sheet("Sites")
ws["B1"] = "Inventaire des sites — mise à jour de novembre"
ws.merge_cells("B1:H1")
ws["B3"], ws["E3"] = "Adhérent et site", "Localisation"
ws.merge_cells("B3:D3")
ws.merge_cells("E3:G3")
ws.append(
    [None, "Adhérent", "Type de site", "Nom du site", "Code site", "Code postal", "Code INSEE", "Horaires"]
)
ws.append(
    [
        None,
        210100533,
        "Mairie",
        '="Hôtel de ville de "&"Bourg-en-Bresse"',
        "BB-HDV",
        1000,
        1053,
        "lun-ven 8h30-12h",
    ]
)
ws.append([None, "210100533", "école", "École élémentaire Édouard Herriot", "0010001A", "01000", 1053, None])
ws["G6"].number_format = "00000"
ws.append([None, 212000046, "mairie", "Mairie annexe des Salines — Ajaccio", "AJ-SAL", 20090, "2A004", None])
lists = wb.create_sheet("Listes")
for kind in ("mairie", "ecole", "college"):
    lists.append([kind])
lists.sheet_state = "hidden"
wb.save("sites_libreoffice.xlsx")

wb = Workbook()
ws = wb.active
ws.title = "Équipements"
ws.append(
    [
        "N° d’inventaire",
        "Adhérent",
        "Code site",
        "Type",
        "Statut",
        "Date d'achat",
        "Fin de garantie",
        "Prix HT",
    ]
)
# Purchase dates as date cells; warranty ends as bare serial numbers (pasted as values).
ws.append(["INV-0001", 210100533, "BB-HDV", "Tablette", "en stock", dt.date(2024, 9, 15), 46644, 289.9])
ws.append(["INV-0002", 210100533, "BB-HDV", "Tablette", "en service", dt.date(2025, 12, 31), None, 1249])
ws["F2"].number_format = ws["F3"].number_format = "DD/MM/YYYY"
wb.save("assets_libreoffice.xlsx")
