"""The whole write path of the history's next design, prototyped outside the product.

docs/architecture.md ("The history's storage: the next step, on paper") estimates from
measured parts that writers COPYing plain readings into an unindexed inbox, and a mover
turning the inbox into per-series segments and current values, could reach issue 8's
target. This measures the parts together, with the skips a product needs: writers parse
and check an upsert's JSON and COPY its 4,000 instances into the inbox; a mover flips the
inbox's generation, keeps each instant once (an instant not later than its series' latest
is kept only if no segment holds it), writes one segment per series and the series'
current values, and empties the old generation with TRUNCATE. It reports the sustained
instances/s next to a bare COPY of the same rows, 4,000 a transaction, into an unindexed
table.

Not the product: no Django, no HTTP, no NGSI-LD normalization beyond plain readings, entity
ids known in advance. Results and what they mean: docs/benchmarks-history.md, "Eleventh
session". Run on the local server (`$BENCH_POSTGRES`), in a scratch database `exp_segments`
(dropped first and at the end):

    .venv/bin/python -m bench.experiments.history_segments --writers 2 --upserts 100
    .venv/bin/python -m bench.experiments.history_segments --mover-pause 1.0   # a mover of its own
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import re
import time
from typing import Any

import orjson
import psycopg

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "exp_segments"
SENSORS, ATTRIBUTES = 1000, 4
CADENCE = dt.timedelta(minutes=15)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
IRIS = [f"https://smartdatamodels.org/dataModel.Environment/m{k}" for k in range(ATTRIBUTES)]
UNITS = ["GQ", "GQ", "CEL", "P1"]
ENTITY_IDS = {f"urn:ngsi-ld:AirQualityObserved:exp-{s:04d}": s for s in range(1, SENSORS + 1)}
ATTRIBUTE_IDS = {iri: k + 1 for k, iri in enumerate(IRIS)}
URI = re.compile(r"""^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|\\^`]+$""")
COLUMNS = (
    "tenant_id bigint, entity_id bigint, attribute_id bigint, dataset_id text, observed_at timestamptz,"
    " has_observed_at boolean, recorded_at timestamptz, number float8, unit_code text, value jsonb"
)

SCHEMA = f"""
CREATE TABLE plain ({COLUMNS});
CREATE TABLE inbox_0 ({COLUMNS});
CREATE TABLE inbox_1 ({COLUMNS});
CREATE TABLE inbox_state (generation int);
INSERT INTO inbox_state VALUES (0);
CREATE SEQUENCE moves;
CREATE TABLE segment (entity_id bigint, attribute_id bigint, dataset_id text, first_at timestamptz,
  last_at timestamptz, tenant_id bigint, observed timestamptz[], recorded timestamptz[],
  numbers float8[], units text[], vals jsonb, move bigint,
  PRIMARY KEY (entity_id, attribute_id, dataset_id, first_at, move));
CREATE TABLE current (entity_id bigint, attribute_id bigint, dataset_id text, observed_at timestamptz,
  number float8, unit_code text, value jsonb, modified_at timestamptz,
  PRIMARY KEY (entity_id, attribute_id, dataset_id)) WITH (fillfactor = 50);
"""  # noqa: S608 (a fixed column list, no input)

# The history already there: one segment per series and day, 96 instants each.
HISTORY = """
INSERT INTO segment SELECT e, a, '', d, d + interval '15 min' * 95, 1,
  array(SELECT d + interval '15 min' * k FROM generate_series(0, 95) k), array_fill(d, ARRAY[96]),
  array(SELECT random() * 100 FROM generate_series(0, 95) k), array_fill('GQ'::text, ARRAY[96]), NULL, 0
FROM generate_series(1, %(sensors)s) e, generate_series(1, %(attributes)s) a,
     generate_series(%(start)s::timestamptz, %(last_day)s::timestamptz, interval '1 day') d
"""

# One statement: what the old generation holds, kept once per instant, as one segment per
# series, and the series' latest instant into `current`.
MOVE = """
WITH kept AS (
  SELECT DISTINCT ON (m.entity_id, m.attribute_id, m.dataset_id, m.observed_at)
    m.entity_id, m.attribute_id, m.dataset_id, m.observed_at, m.tenant_id, m.recorded_at, m.number, m.unit_code
  FROM {inbox} m LEFT JOIN current c USING (entity_id, attribute_id, dataset_id)
  WHERE c.observed_at IS NULL OR m.observed_at > c.observed_at
     OR NOT EXISTS (SELECT 1 FROM segment s WHERE s.entity_id = m.entity_id AND s.attribute_id = m.attribute_id
          AND s.dataset_id = m.dataset_id AND s.first_at <= m.observed_at AND s.last_at >= m.observed_at
          AND m.observed_at = ANY (s.observed))
  ORDER BY m.entity_id, m.attribute_id, m.dataset_id, m.observed_at),
grouped AS (
  SELECT entity_id, attribute_id, dataset_id, min(tenant_id) AS tenant_id,
    array_agg(observed_at ORDER BY observed_at) AS o, array_agg(recorded_at ORDER BY observed_at) AS r,
    array_agg(number ORDER BY observed_at) AS n, min(unit_code) AS u0, max(unit_code) AS u1
  FROM kept GROUP BY entity_id, attribute_id, dataset_id),
number AS (SELECT nextval('moves') AS move),
segments AS (
  INSERT INTO segment SELECT entity_id, attribute_id, dataset_id, o[1], o[cardinality(o)], tenant_id, o, r, n,
    CASE WHEN u0 = u1 THEN ARRAY[u0] END, NULL, number.move
  FROM grouped, number RETURNING 1),
currents AS (
  UPDATE current c SET observed_at = g.o[cardinality(g.o)], number = g.n[cardinality(g.n)],
    modified_at = g.r[cardinality(g.r)]
  FROM grouped g
  WHERE c.entity_id = g.entity_id AND c.attribute_id = g.attribute_id AND c.dataset_id = g.dataset_id
    AND c.observed_at < g.o[cardinality(g.o)] RETURNING 1)
SELECT (SELECT count(*) FROM kept), (SELECT count(*) FROM segments), (SELECT count(*) FROM currents)
"""


def _url(database: str) -> str:
    return f"{SERVER}/{database}"


def setup(days: int) -> dt.datetime:
    """A fresh scratch database with `days` days of history; returns the first free instant."""
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    end = START + dt.timedelta(days=days)
    with psycopg.connect(_url(DATABASE)) as db:
        db.execute(SCHEMA)
        db.execute(
            HISTORY,
            {
                "sensors": SENSORS,
                "attributes": ATTRIBUTES,
                "start": START,
                "last_day": end - dt.timedelta(days=1),
            },
        )
        db.execute(
            "INSERT INTO current SELECT e, a, '', %s, 1.0, 'GQ', NULL, now()"
            " FROM generate_series(1, %s) e, generate_series(1, %s) a",
            [end - CADENCE, SENSORS, ATTRIBUTES],
        )
        db.execute("ANALYZE")
    return end


def body(instants: list[dt.datetime], sensors: range, rng: random.Random) -> bytes:
    """An NGSI-LD upsert: every sensor of `sensors` with its readings at each instant."""
    entities = []
    for instant in instants:
        stamp = instant.isoformat().replace("+00:00", "Z")
        for sensor in sensors:
            entity: dict[str, Any] = {
                "id": f"urn:ngsi-ld:AirQualityObserved:exp-{sensor:04d}",
                "type": "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved",
            }
            for k in range(ATTRIBUTES):
                entity[IRIS[k]] = {
                    "type": "Property",
                    "value": round(rng.uniform(0, 100), 2),
                    "unitCode": UNITS[k],
                    "observedAt": stamp,
                }
            entities.append(entity)
    return orjson.dumps(entities)


class Lines:
    """The writer's Python: an upsert's plain readings, checked, as COPY text. The start of
    each line is made once per series and process."""

    def __init__(self) -> None:
        self.heads: dict[tuple[str, str], str] = {}
        self.instants: dict[str, str] = {}

    def __call__(self, raw: bytes, recorded: str) -> str:
        out: list[str] = []
        tail = f"\tt\t{recorded}\t"
        for entity in orjson.loads(raw):
            entity_id = entity["id"]
            for name, attribute in entity.items():
                if name in ("id", "type"):
                    continue
                head = self.heads.get((entity_id, name))
                if head is None:
                    if type(entity_id) is not str or not URI.match(entity_id):
                        raise ValueError(entity_id)
                    head = f"1\t{ENTITY_IDS[entity_id]}\t{ATTRIBUTE_IDS[name]}\t\t"
                    self.heads[(entity_id, name)] = head
                if type(attribute) is not dict or len(attribute) != 4 or attribute.get("type") != "Property":
                    raise ValueError(name)
                value = attribute["value"]
                if type(value) is not float and type(value) is not int:
                    raise ValueError(value)
                given = attribute["observedAt"]
                instant = self.instants.get(given)
                if instant is None:
                    instant = dt.datetime.fromisoformat(given.replace("Z", "+00:00")).isoformat()
                    self.instants[given] = instant
                out.append(f"{head}{instant}{tail}{value!r}\t{attribute['unitCode']}\t\\N\n")
        return "".join(out)


def move(db: psycopg.Connection[Any]) -> tuple[int, int, int] | None:
    """Flip the generation (waiting for the old one's writers), move it, empty it; None
    when another move runs. One move at a time, from the flip to the emptying: a second
    flip while the first move runs would send writers into the generation being moved,
    whose TRUNCATE would then take rows the move never saw (a first version of this
    prototype, holding the lock for the flip's transaction only, lost 16 % of them)."""
    taken = db.execute("SELECT pg_try_advisory_lock(42)").fetchone()
    db.commit()
    if not (taken and taken[0]):
        return None
    try:
        return _move(db)
    finally:
        db.execute("SELECT pg_advisory_unlock(42)")
        db.commit()


def _move(db: psycopg.Connection[Any]) -> tuple[int, int, int]:
    db.execute("SELECT pg_advisory_xact_lock(7)")
    row = db.execute("UPDATE inbox_state SET generation = 1 - generation RETURNING 1 - generation").fetchone()
    assert row is not None
    db.commit()
    db.execute("SET LOCAL work_mem = '256MB'")
    counts = db.execute(MOVE.format(inbox=f"inbox_{row[0]}")).fetchone()
    db.execute(f"TRUNCATE inbox_{row[0]}")
    db.commit()
    assert counts is not None
    return counts


def writer(
    k: int, writers: int, start: dt.datetime, upserts: int, move_every: int, ready: Any, out: Any
) -> None:
    """Writer k: its own share of the sensors (as the bench's clients), each upsert 4,000
    instances, moving inline every `move_every` upserts when no other move runs."""
    rng = random.Random(k)
    size = SENSORS // writers
    share = range(1 + k * size, 1 + (k + 1) * size)
    bodies = [
        body([start + CADENCE * (i * writers + j) for j in range(writers)], share, rng)
        for i in range(upserts)
    ]
    lines = Lines()
    moves: list[float] = []
    with psycopg.connect(_url(DATABASE)) as db:
        ready.wait()
        began, cpu = time.perf_counter(), time.process_time()
        for i, raw in enumerate(bodies):
            text = lines(raw, dt.datetime.now(dt.UTC).isoformat())
            db.execute("SELECT pg_advisory_xact_lock_shared(7)")
            row = db.execute("SELECT generation FROM inbox_state").fetchone()
            assert row is not None
            with db.cursor().copy(f"COPY inbox_{row[0]} FROM STDIN") as copy:
                copy.write(text)
            db.commit()
            if move_every and i % move_every == move_every - 1:
                moved = time.perf_counter()
                if move(db) is not None:
                    moves.append(time.perf_counter() - moved)
        out.put((time.perf_counter() - began, time.process_time() - cpu, moves))


def mover(stop: Any, pause: float, out: Any) -> None:
    moves: list[float] = []
    with psycopg.connect(_url(DATABASE)) as db:
        while not stop.is_set():
            time.sleep(pause)
            moved = time.perf_counter()
            if move(db) is not None:
                moves.append(time.perf_counter() - moved)
    out.put((0.0, 0.0, moves))


def bare_copy(upserts: int) -> float:
    """Rows/s of the same rows COPYed 4,000 a transaction into an unindexed table."""
    lines, rng = Lines(), random.Random(9)
    early = START - dt.timedelta(days=400)
    texts = [
        lines(body([early + CADENCE * i], range(1, SENSORS + 1), rng), dt.datetime.now(dt.UTC).isoformat())
        for i in range(upserts)
    ]
    with psycopg.connect(_url(DATABASE)) as db:
        began = time.perf_counter()
        for text in texts:
            with db.cursor().copy("COPY plain FROM STDIN") as copy:
                copy.write(text)
            db.commit()
        return upserts * SENSORS * ATTRIBUTES / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--upserts", type=int, default=100, help="per writer")
    parser.add_argument("--move-every", type=int, default=25, help="upserts of a writer between inline moves")
    parser.add_argument("--mover-pause", type=float, default=0.0, help="a mover of its own, every N s")
    parser.add_argument("--days", type=int, default=13, help="of history already there")
    args = parser.parse_args()
    start = setup(args.days)
    reference = bare_copy(args.upserts)
    ready, out = mp.Barrier(args.writers + 1), mp.Queue()
    inline = 0 if args.mover_pause else args.move_every
    processes = [
        mp.Process(target=writer, args=(k, args.writers, start, args.upserts, inline, ready, out))
        for k in range(args.writers)
    ]
    for process in processes:
        process.start()
    ready.wait()  # every writer has made its bodies: the clock starts with the first write
    began = time.perf_counter()
    stop = mp.Event()
    extra = mp.Process(target=mover, args=(stop, args.mover_pause, out)) if args.mover_pause else None
    if extra is not None:
        extra.start()
    results = [out.get() for _ in processes]
    if extra is not None:
        stop.set()
        results.append(out.get())
        extra.join()
    for process in processes:
        process.join()
    with psycopg.connect(_url(DATABASE)) as db:
        move(db)
        move(db)  # both generations: every instance is in a segment before the clock stops
        elapsed = time.perf_counter() - began
        stored = db.execute("SELECT sum(cardinality(observed)) FROM segment WHERE move > 0").fetchone()
    rows = args.writers * args.upserts * SENSORS * ATTRIBUTES
    if not stored or stored[0] != rows:
        raise SystemExit(
            f"{rows:,} instances written, {stored[0] if stored else 0:,} in segments: a move lost some."
        )
    moves = [m for _wall, _cpu, taken in results for m in taken]
    python_ms = (
        sum(cpu for _wall, cpu, _taken in results[: args.writers]) / (args.writers * args.upserts) * 1000
    )
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {DATABASE}")
    print(
        f"bare COPY {reference:,.0f} rows/s; {args.writers} writers × {args.upserts} upserts of "
        f"{SENSORS * ATTRIBUTES:,}: {rows / elapsed:,.0f} instances/s sustained "
        f"({rows / elapsed / reference:.2f} ×), all {rows:,} in segments; writer Python "
        f"{python_ms:.1f} ms an upsert; {len(moves)} moves, {sum(moves):.2f} s"
    )


if __name__ == "__main__":
    main()
