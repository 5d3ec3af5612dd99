"""Reports (issue 5): a member's monthly PDF and the operator's yearly activity PDF,
generated on demand or on schedule and emailed to subscribers (docs/reports.md)."""
