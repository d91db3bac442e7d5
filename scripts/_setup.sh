# Sourced by scripts/run and scripts/test: make .venv and install Nebula into it, once per
# change of pyproject.toml or of the JupyterLab extension's sources (the install builds the
# extension with node). Idempotent and non-interactive (CI has no stdin).
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
  want="$(install_inputs_hash)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing nebula-jupyter[$extras] into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    echo "$want" > "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
  if [ "$extras" = "test" ]; then ensure_chromium; fi
}

# What an install depends on: pyproject.toml and everything the lab extension is built from.
install_inputs_hash() {
  {
    sha256sum pyproject.toml
    find labextension/src labextension/style -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum labextension/package.json labextension/yarn.lock labextension/tsconfig.json
  } | sha256sum | cut -c1-16
}

# The browser tests drive Debian's Chromium; install it when missing (as root or with sudo).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 0   # not Debian: the browser tests say what is missing
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo -n"
  echo "==> installing chromium (browser tests)" >&2
  $sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2 || {
    echo "could not install chromium (apt-get install chromium); the browser tests need it" >&2
    [ "${CI:-}" != "true" ]   # CI must not go on without the browser
  }
}
