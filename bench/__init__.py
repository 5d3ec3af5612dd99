"""Mutualis measured at real scale: `python -m bench` (or `make bench`).

One run creates a PostgreSQL database, loads the demo registry and a million tickets with
`COPY`, starts the application under gunicorn with the production settings, measures the
service desk's pages and API, and writes the results (bench/results/*.json and
docs/benchmarks.md). See docs/benchmarks.md for the method and the latest figures.

Modules: `config` (options, targets, environment), `database` (create, migrate, load the
demo registry), `loading` (COPY and index handling, shared by every generator),
`desk_data` (tickets, replies and events), `server` (gunicorn and its access log),
`client` (a small HTTP client), `cases` and `measure` (what is timed and how), `report`,
and `run`, which calls them in order.
"""
