"""What a dry run or an import found: counts and every problem, as (line, column, reason)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

# Whole-file problems (encoding, size, an empty file) have no line to point at.
WHOLE_FILE = 0


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


@dataclass
class Report:
    kind: str
    mode: str
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    new_models: int = 0
    # False when the file or its header is too broken for its rows to be checked.
    rows_checked: bool = True
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(line, column, str(message)))

    def sort(self) -> None:
        # Stable: within a line, problems keep the order of the checks (columns left to right,
        # then cross-row checks such as duplicates).
        self.problems.sort(key=lambda p: p.line)

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
            "rows": self.rows,
            "to_create": self.to_create,
            "to_update": self.to_update,
            "unchanged": self.unchanged,
            "new_models": self.new_models,
            "rows_checked": self.rows_checked,
            "errors": [{"line": p.line, "column": p.column, "message": p.message} for p in self.problems],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(
            kind=data.get("kind", ""),
            mode=data.get("mode", ""),
            encoding=data.get("encoding", ""),
            delimiter=data.get("delimiter", ""),
            rows=data.get("rows", 0),
            to_create=data.get("to_create", 0),
            to_update=data.get("to_update", 0),
            unchanged=data.get("unchanged", 0),
            new_models=data.get("new_models", 0),
            rows_checked=data.get("rows_checked", True),
            problems=[Problem(e["line"], e["column"], e["message"]) for e in data.get("errors", [])],
        )

    def delimiter_name(self) -> str:
        return {"\t": _("tab"), ";": ";", ",": ","}.get(self.delimiter, self.delimiter)
