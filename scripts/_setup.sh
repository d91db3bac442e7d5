# Sourced by scripts/run and scripts/test: make .venv and install Nebula into it, once per
# change of pyproject.toml. Idempotent and non-interactive (CI has no stdin).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Nebula needs Python 3.11 or newer on PATH (or set PYTHON=/path/to/python)." >&2
  return 1
}

nebula_setup() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv" >&2
    "$(pick_python)" -m venv .venv
  fi
  local stamp=".venv/.nebula-installed-$extras"
  local want
  want="$(sha256sum < pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing nebula-jupyter[$extras] into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    echo "$want" > "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}
