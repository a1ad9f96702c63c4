#!/usr/bin/env bash
# Provision the Quix Streams venv used by `npm run bench -- anchors`: .venv/quix (git-ignored).
#
#   bash scripts/quix-venv.sh     quixstreams 3.x (PyPI; wheels bundle librdkafka through confluent-kafka)
#
# Idempotent: a stamp file records what was installed; a second run with the same requirements returns at once.
# Quiet and non-interactive (CI, no TTY, root). Prints the venv's python path on stdout as its last line.
# Exit 3 when python3 (>= 3.9, with venv) is missing, so callers can say so clearly.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${QUIX_VENV_DIR:-$root/.venv/quix}"
python="${QUIX_VENV_PYTHON:-python3}"

requirements=("quixstreams>=3.28,<4")

if ! command -v "$python" >/dev/null 2>&1; then
  echo "quix-venv: $python not found; Quix Streams needs python3 >= 3.9" >&2
  exit 3
fi
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
  echo "quix-venv: $python is older than 3.9 or has no venv module" >&2
  exit 3
fi

stamp="$venv/.faustus-stamp"
want="$("$python" -c 'import sys; print(sys.version.split()[0])') ${requirements[*]}"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

# One provisioning at a time (the bench and a test may call this together).
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
if [[ ! -x "$venv/bin/python" ]]; then
  echo "quix-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi
echo "quix-venv: installing ${requirements[*]}" >&2
"$venv/bin/python" -m pip install --quiet --upgrade "${requirements[@]}" >&2
"$venv/bin/python" -c 'import importlib.metadata as m; print("quix-venv: quixstreams", m.version("quixstreams"))' >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
