"""The benchmarks' smoke test needs the real PostgreSQL server: it is collected only when
the suite runs on PostgreSQL (`DATABASE_URL` is a postgres:// URL, as in `make test`'s
second run and in CI), never skipped once collected."""

from __future__ import annotations

import os

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

collect_ignore_glob = [] if ON_POSTGRES else ["test_*.py"]
