"""What a dry run or an import found: counts and every problem, as (line, column, reason)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Whole-file problems (encoding, size, an empty file) have no line to point at.
WHOLE_FILE = 0

# Invisible control characters (tab, line feed and carriage return aside): in a message
# quoting a cell they show as nothing, and PostgreSQL refuses a NUL in the report's JSON.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def number(count: int) -> str:
    """A count as the reader's language writes it: 30 000 in French, 30,000 in English.
    Line numbers are not counts: they are written as editors and spreadsheets show them."""
    return formats.number_format(count, force_grouping=True)


def visible(text: str) -> str:
    """`text` with each control character replaced by U+FFFD, the sign of a character that
    cannot be shown."""
    return CONTROL_CHARACTERS.sub("\ufffd", text)


@dataclass(frozen=True)
class Problem:
    """One thing to fix. `line` counts physical lines of the file, the header being line 1
    (a quoted value spanning three lines counts three); `column` is the column name as
    written in the file's header, or "" for a problem with the whole row or file."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = _("file") if self.line == WHOLE_FILE else _("line %(line)s") % {"line": self.line}
        if self.column:
            where = _('%(where)s, column "%(column)s"') % {"where": where, "column": self.column}
        # The separator is translated: French puts a space before the colon.
        return _("%(where)s: %(message)s") % {"where": where, "message": self.message}


# The rows an update changes are listed on the report before anything is written; past
# this many, the count says how many more (a preview for a person, not an audit log).
CHANGES_LISTED = 500


@dataclass(frozen=True)
class Change:
    """A recorded row that importing the file changes: its line, its key (a site's reference,
    a tag) and what changes, one text per column ("address: “4 rue Hoche” → (empty)")."""

    line: int
    key: str
    fields: tuple[str, ...]


def change_text(column: str, before: Any, after: Any) -> str:
    """“column: before → after”, values written as the page writes them."""
    return _("%(column)s: %(before)s → %(after)s") % {
        "column": column,
        "before": _shown(before),
        "after": _shown(after),
    }


def _shown(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value)
    return _("“%(value)s”") % {"value": visible(str(value))}


@dataclass
class Report:
    kind: str
    mode: str
    encoding: str = ""
    delimiter: str = ""
    # A workbook: the sheet read, and how many sheets it has.
    sheet: str = ""
    sheet_count: int = 0
    rows: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    new_models: int = 0
    # False when the file or its header is too broken for its rows to be checked.
    rows_checked: bool = True
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # Values read otherwise than written ("lun-ven 8h-12h" recorded as "Mo-Fr 08:00-12:00"),
    # the first CHANGES_LISTED of `notes_count`: what is recorded is not a surprise.
    notes: list[Problem] = field(default_factory=list)
    notes_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(line, visible(column), visible(str(message))))

    def add_change(self, line: int, key: str, fields: list[str]) -> None:
        if len(self.changes) < CHANGES_LISTED:
            self.changes.append(Change(line, visible(key), tuple(fields)))

    def add_note(self, line: int, column: str, message: str) -> None:
        self.notes_count += 1
        if len(self.notes) < CHANGES_LISTED:
            self.notes.append(Problem(line, visible(column), visible(str(message))))

    def sort(self) -> None:
        # Stable: within a line, problems keep the order of the checks (columns left to right,
        # then cross-row checks such as duplicates).
        self.problems.sort(key=lambda p: p.line)
        self.notes.sort(key=lambda p: p.line)

    def problems_per_column(self) -> list[tuple[str, int]]:
        """How many problems each column has, most first: a column wrong on every row is
        one mistake (a wrong code list, a shifted column), not thousands."""
        return Counter(p.column for p in self.problems).most_common()

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "mode": self.mode,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "sheet_count": self.sheet_count,
            "rows": self.rows,
            "to_create": self.to_create,
            "to_update": self.to_update,
            "unchanged": self.unchanged,
            "new_models": self.new_models,
            "rows_checked": self.rows_checked,
            "errors": [{"line": p.line, "column": p.column, "message": p.message} for p in self.problems],
            "changes": [{"line": c.line, "key": c.key, "fields": list(c.fields)} for c in self.changes],
            "notes": [{"line": n.line, "column": n.column, "message": n.message} for n in self.notes],
            "notes_count": self.notes_count,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(
            kind=data.get("kind", ""),
            mode=data.get("mode", ""),
            encoding=data.get("encoding", ""),
            delimiter=data.get("delimiter", ""),
            sheet=data.get("sheet", ""),
            sheet_count=data.get("sheet_count", 0),
            rows=data.get("rows", 0),
            to_create=data.get("to_create", 0),
            to_update=data.get("to_update", 0),
            unchanged=data.get("unchanged", 0),
            new_models=data.get("new_models", 0),
            rows_checked=data.get("rows_checked", True),
            problems=[Problem(e["line"], e["column"], e["message"]) for e in data.get("errors", [])],
            changes=[Change(c["line"], c["key"], tuple(c["fields"])) for c in data.get("changes", [])],
            notes=[Problem(n["line"], n["column"], n["message"]) for n in data.get("notes", [])],
            notes_count=data.get("notes_count", 0),
        )

    def counts(self) -> str:
        """ "1 created, 0 updated, 12 unchanged", each word agreeing with its number in French."""
        return _("%(created)s, %(updated)s, %(unchanged)s") % {
            "created": ngettext("%(count)s created", "%(count)s created", self.to_create)
            % {"count": number(self.to_create)},
            "updated": ngettext("%(count)s updated", "%(count)s updated", self.to_update)
            % {"count": number(self.to_update)},
            "unchanged": ngettext("%(count)s unchanged", "%(count)s unchanged", self.unchanged)
            % {"count": number(self.unchanged)},
        }

    def delimiter_name(self) -> str:
        return {"\t": _("tab"), ";": ";", ",": ","}.get(self.delimiter, self.delimiter)
