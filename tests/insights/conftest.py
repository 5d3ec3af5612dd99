"""Behaviour that exists only on PostgreSQL (percentile_cont) is tested in
test_*_postgres.py, collected only when the suite runs on PostgreSQL, never skipped once
collected (as tests/jobs does)."""

import os

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

collect_ignore_glob = [] if ON_POSTGRES else ["test_*_postgres.py"]
