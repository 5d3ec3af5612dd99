"""Incidentology: what the tickets say about the territory, for the operator, members and
elected officials — dashboards, recurring failures, anticipation and reports (issue 5).

Reads the service desk's and the registry's tables through their QuerySets (the tenancy
door included); writes only its own (report subscriptions and generated reports)."""
