"""Which columns an import file may have, under which names, and how header names are matched."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def normalize(text: str) -> str:
    """Header names and codes compared the way people type them: "Code postal", "code_postal"
    and "CODE-POSTAL" are one name; accents are dropped ("Téléphone" is "telephone")."""
    text = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff"))
    # Accents dropped, but any other character a separator: the typographic apostrophe that
    # Excel's and Word's autocorrect put in "Numéro d’inventaire" separates words as "'" does.
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def example_rows(text: str) -> tuple[tuple[str, ...], ...]:
    """Example rows written as the CSV they are (`;`-separated), easier to read and edit than tuples."""
    lines = io.StringIO(text.strip() + "\n")
    return tuple(tuple(row) for row in csv.reader(lines, delimiter=";"))


@dataclass(frozen=True)
class Column:
    name: str
    # Other names accepted in the header, written normalized (see `normalize`).
    aliases: tuple[str, ...] = ()
    required: bool = False
    # What to write in the cell, for the documentation page and the error messages.
    help: Any = ""
    # A code or a number read as text (a SIREN, a serial number): a spreadsheet that took it
    # for a number may have written it in scientific notation, its last digits lost.
    identifier: bool = False


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    columns: tuple[Column, ...]
    example_rows: tuple[tuple[str, ...], ...] = ()
    # Header rules beyond single required columns (e.g. "site_id, or member and site"):
    # given the columns present, the messages to report.
    header_rules: Callable[[set[str]], list[str]] | None = None
    # Header names (normalized) an export of the list writes that are not to be read, so
    # that an exported list imports back: mapped to None, always passed over (a figure
    # Mutualis works out, such as a count of equipment); mapped to a column, passed over
    # when another header names that column (the commune's name beside its INSEE code).
    read_over: dict[str, str | None] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for alias in (column.name, *column.aliases):
                # A programming mistake in a spec, caught at import time of the module.
                if alias != normalize(alias) or alias in self._names:
                    raise ValueError(f"column name {alias!r} is not normalized or is declared twice")
                self._names[alias] = column.name

    def resolve(self, header_cell: str) -> str | None:
        """The column a header cell names, or None when it names none of ours."""
        return self._names.get(normalize(header_cell))

    @property
    def identifiers(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.identifier)

    def accepted_names(self) -> list[str]:
        return list(self._names)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
