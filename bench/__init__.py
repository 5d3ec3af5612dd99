"""Mutualis measured at real scale: `python -m bench` (or `make bench`).

One run creates a PostgreSQL database, loads the demo registry and a million tickets with
`COPY`, starts the application under gunicorn with the production settings, measures the
service desk's pages and API, and writes the results (bench/results/*.json and
docs/benchmarks.md). See docs/benchmarks.md for the method and the latest figures.

Modules: `config` (options, targets, environment), `database` (create, migrate, load the
demo registry), `loading` (COPY and index handling, shared by every generator),
`desk_data` (tickets, replies and events), `server` (gunicorn and its access log),
`client` (a small HTTP client), `cases` and `measure` (what is timed and how), `report`,
and `run`, which calls them in order. Issue 8's concurrent load: `load` (client processes,
CPU of each party), `load_cases` (what both systems are sent), `load_run` and
`load_report`, `profiling` (py-spy and PostgreSQL's statement log); django-helpdesk beside
Mutualis: `helpdesk_env` (its own virtual environment), `helpdesk_data` (the same tickets
with COPY), `helpdesk_server`, and the small Django project in `bench/helpdesk/`.
"""
