"""The service desk's REST API (/api/v1/tickets/, /api/v1/sites/{id}/catalogue/,
/api/v1/teams/), documented in docs/api.md and at /api/docs/. It follows the registry API
(mutualis/registry/api/): the same tenancy door, strict inputs, keyset pages and problem
details; every write goes through a verb of `mutualis.servicedesk.services`."""
