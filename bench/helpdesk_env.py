"""django-helpdesk's own virtual environment, outside the project (issue 8, clause 3: the
comparison installs it from PyPI, never into Mutualis' environment).

The environment lives in `~/.cache/mutualis-bench/helpdesk-venv` (or `$BENCH_HELPDESK_VENV`),
is created with `python3 -m venv` and filled with pip from bench/helpdesk/requirements.txt,
where every version is pinned. It is reused while it holds exactly those versions; a
requirements file that changed makes it be built again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .config import PROJECT

Say = Callable[[str], None]
HELPDESK_PROJECT = PROJECT / "bench" / "helpdesk"
REQUIREMENTS = HELPDESK_PROJECT / "requirements.txt"
DEFAULT_VENV = Path.home() / ".cache" / "mutualis-bench" / "helpdesk-venv"
STAMP = "mutualis-bench-requirements.sha256"


def venv_dir() -> Path:
    return Path(os.environ.get("BENCH_HELPDESK_VENV", DEFAULT_VENV))


def python() -> Path:
    return venv_dir() / "bin" / "python"


def gunicorn() -> Path:
    return venv_dir() / "bin" / "gunicorn"


def py_spy() -> Path:
    return venv_dir() / "bin" / "py-spy"


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure(say: Say) -> float:
    """The environment, built when missing or when its pins changed; seconds spent."""
    venv = venv_dir()
    stamp = venv / STAMP
    if python().exists() and stamp.exists() and stamp.read_text() == _digest():
        return 0.0
    started = time.monotonic()
    say(f"django-helpdesk: creating its virtual environment in {venv}")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # The interpreter of the project's own machines (3.11), not the project's venv.
    base = shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python()), "-m", "pip", "install", "--quiet", "--requirement", str(REQUIREMENTS)],
        check=True,
    )
    stamp.write_text(_digest())
    seconds = time.monotonic() - started
    say(f"django-helpdesk: environment ready in {seconds:.0f} s")
    return seconds


def environment(database: str, secret: str, var_dir: Path) -> dict[str, str]:
    """What the helpdesk project's settings read (bench/helpdesk/deskbench/settings.py)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "deskbench.settings",
        "SECRET_KEY": secret,
        "HELPDESK_DB_NAME": database,
        "HELPDESK_STATIC_ROOT": str(var_dir / "static"),
        "HELPDESK_MEDIA_ROOT": str(var_dir / "media"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # django-helpdesk's dashboard compares naive dates (its own code, a warning per
        # request): kept out of the run's output.
        "PYTHONWARNINGS": "ignore::RuntimeWarning",
    }


def manage(env: dict[str, str], say: Say, *args: str) -> float:
    """`manage.py <args>` of the helpdesk project, in its environment; seconds taken."""
    started = time.monotonic()
    done = subprocess.run(
        [str(python()), "manage.py", *args],
        cwd=HELPDESK_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"helpdesk manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    seconds = time.monotonic() - started
    say(f"  helpdesk {args[0]} ({seconds:.0f} s)")
    return seconds
