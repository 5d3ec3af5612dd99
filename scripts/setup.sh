#!/usr/bin/env bash
# Install what Mutualis needs, from its own files only: Python packages from the hashed
# lock into .venv/, the system tools the project uses (gettext to compile translations;
# for the test suite, Debian's Chromium for the browser tests), compiled translations.
# Idempotent and quick when nothing changed.
#
#   scripts/setup.sh          runtime only (what `make demo` needs)
#   scripts/setup.sh dev      runtime + test and lint tools + Chromium (what `make test` needs)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-main}
lock="requirements/${profile}.lock"
[ -f "$lock" ] || { echo "setup: unknown profile '$profile' (main or dev)" >&2; exit 2; }

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: '$*' needs root; run it as root once, then run this again." >&2; exit 1; fi
}

apt_install() {
  say "Installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null || {
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

# 1. Python 3.11 or newer (Django 5.2 LTS supports 3.10-3.13; the project targets 3.11).
python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))'; then
    python=$(command -v "$candidate"); break
  fi
done
if [ -z "$python" ]; then
  apt_install python3 python3-venv
  python=$(command -v python3)
  "$python" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || { echo "setup: Python 3.11+ is required." >&2; exit 1; }
fi
if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment .venv/ with $python"
  "$python" -m venv .venv 2>/dev/null || { apt_install python3-venv; "$python" -m venv .venv; }
fi

# 2. Python packages, exactly as locked (hashes checked). Skipped when the lock is unchanged.
stamp=".venv/.installed-${profile}-$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "Installing Python packages from $lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
    || .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-"${profile}"-*
  touch "$stamp"
fi

# 3. Translations: compiled from the .po files kept in the repository.
command -v msgfmt >/dev/null || apt_install gettext
MUTUALIS_ENV=dev .venv/bin/mutualis compilemessages --ignore=.venv --verbosity 0

# 4. For the test suite: Debian's Chromium, driven by Playwright (never a downloaded
#    browser), and the pinned npm tools (axe-core, which checks pages against WCAG 2.1 AA).
if [ "$profile" = dev ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
  # The MQTT ingestion tests talk to a real broker: Mosquitto (scripts/test.sh starts it
  # when none listens on 127.0.0.1:1883 outside CI).
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || apt_install mosquitto mosquitto-clients
  command -v npm >/dev/null || apt_install nodejs npm
  npm_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$npm_stamp" ]; then
    say "Installing npm packages from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$npm_stamp"
  fi
fi
exit 0
