#!/usr/bin/env bash
# Provision the Python Faust venv used by the interop tests and the Faust benchmark: .venv/faust (git-ignored).
#
#   bash scripts/faust-venv.sh           faust-streaming 0.15.x + aiokafka >= 0.13 (Kafka 4 needs aiokafka >= 0.13)
#   bash scripts/faust-venv.sh --plot    the same, plus matplotlib (bench/faust.ts draws its chart with it)
#
# Idempotent: a stamp file records what was installed; a second run with the same requirements returns at once.
# Quiet and non-interactive (CI, no TTY, root). Prints the venv's python path on stdout as its last line.
# Exit 3 when python3 (>= 3.9, with venv) is missing, so callers can skip with a clear message.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FAUST_VENV_DIR:-$root/.venv/faust}"
python="${FAUST_VENV_PYTHON:-python3}"

requirements=("faust-streaming>=0.15,<0.16" "aiokafka>=0.13,<0.15")
if [[ "${1:-}" == "--plot" ]]; then
  requirements+=("matplotlib>=3.8")
fi

if ! command -v "$python" >/dev/null 2>&1; then
  echo "faust-venv: $python not found; the Python Faust interop tests need python3 >= 3.9" >&2
  exit 3
fi
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
  echo "faust-venv: $python is older than 3.9 or has no venv module" >&2
  exit 3
fi

stamp="$venv/.faustus-stamp"
want="$("$python" -c 'import sys; print(sys.version.split()[0])') ${requirements[*]}"
if [[ -x "$venv/bin/python" && -f "$stamp" ]]; then
  have="$(cat "$stamp")"
  # A run without --plot is satisfied by a venv made with it.
  if [[ "$have" == "$want" || ( "${1:-}" != "--plot" && "$have" == "$want matplotlib>=3.8" ) ]]; then
    echo "$venv/bin/python"
    exit 0
  fi
fi

# One provisioning at a time (vitest projects and the bench may call this together).
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
if [[ ! -x "$venv/bin/python" ]]; then
  echo "faust-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi
echo "faust-venv: installing ${requirements[*]}" >&2
"$venv/bin/python" -m pip install --quiet --upgrade "${requirements[@]}" >&2
"$venv/bin/python" -c 'import faust, aiokafka; print("faust-venv: faust", faust.__version__, "aiokafka", aiokafka.__version__)' >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
