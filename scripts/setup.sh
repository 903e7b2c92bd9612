# Sourced by run.sh and test.sh: a virtual environment with the pinned dependencies and the
# compiled translations. Needs only Python 3.11 (or newer) and access to PyPI.
# REQUIREMENTS names the set: requirements.txt (the runtime, run.sh's default) or
# requirements-dev.txt (the runtime and the tests' tools, test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
  PY="${PYTHON:-}"
  for candidate in python3.11 python3.12 python3.13 python3; do
    [ -n "$PY" ] && break
    command -v "$candidate" >/dev/null 2>&1 && PY="$candidate"
  done
  "$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
  echo "setup: creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi

# Reinstall only when the set changed since its last successful install.
REQUIREMENTS="${REQUIREMENTS:-requirements.txt}"
stamp=".venv/.${REQUIREMENTS%.txt}.sha256"
wanted=$(cat requirements.txt "$REQUIREMENTS" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing pinned dependencies ($REQUIREMENTS)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  echo "$wanted" > "$stamp"
fi

# The .mo catalogue is built from the committed .po file, never committed itself.
.venv/bin/pybabel compile -d app/translations >/dev/null 2>&1 \
  || { echo "setup: compiling app/translations failed" >&2; exit 1; }
export FLASK_APP=app
