"""The bench's experiments run, at a tiny size, on the real PostgreSQL server: they are how
the next design of the history is measured (docs/benchmarks-history.md), and must not rot.
No timing is asserted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .test_smoke import PROJECT, _databases, _server

pytestmark = pytest.mark.postgres_only


def test_the_history_segments_prototype_keeps_every_instance() -> None:
    server, params = _server()
    command = ["-m", "bench.experiments.history_segments", "--writers", "2", "--upserts", "4"]
    done = subprocess.run(  # noqa: S603 - the project's own command, with arguments written here
        [sys.executable, *command, "--move-every", "2", "--days", "1"],
        cwd=PROJECT,
        env={**os.environ, "BENCH_POSTGRES": server},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # 2 writers × 4 upserts × 4,000 instances, every one found in a segment (the
    # experiment fails otherwise), and its scratch database gone.
    assert "all 32,000 in segments" in done.stdout
    assert "exp_segments" not in _databases(params)
