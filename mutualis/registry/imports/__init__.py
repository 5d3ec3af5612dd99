"""CSV imports of sites and equipment, with a dry run that reports every bad row.

The flow, for pages and commands alike:

1. `create_batch(...)` keeps the uploaded file and checks it: every problem is reported as
   (line, column, reason) and nothing is written to the registry; the batch is `ready`
   when the file is clean, `invalid` otherwise.
2. `apply_batch(...)` checks the file again from scratch and writes it in one transaction,
   or writes nothing at all.

Reading the file is `reading`; checking a row, cell by cell, `rows`; each kind of file has
its columns and checks in `sites` and `assets` (with `asset_rows` and `asset_links`).
docs/imports.md is the user's guide.
"""

from .batches import SPECS, ImportRefusedError, apply_batch, create_batch, example_csv, validate
from .report import WHOLE_FILE, Problem, Report

__all__ = [
    "SPECS",
    "WHOLE_FILE",
    "ImportRefusedError",
    "Problem",
    "Report",
    "apply_batch",
    "create_batch",
    "example_csv",
    "validate",
]
