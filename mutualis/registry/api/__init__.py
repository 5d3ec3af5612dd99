"""The registry's REST API (/api/v1/), documented in docs/api.md and at /api/docs/."""
