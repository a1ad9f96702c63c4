#!/usr/bin/env bash
# Provision a git-ignored Python venv with pinned requirements; scripts/faust-venv.sh and scripts/quix-venv.sh call it.
#
#   bash scripts/python-venv.sh NAME DIR PYTHON REPORT REQUIREMENT...
#
# NAME prefixes the messages; DIR is the venv; PYTHON the interpreter that makes it; REPORT a Python snippet that
# prints the installed versions. Idempotent: a stamp file records what was installed, and a second run wanting the same
# (or a prefix of it: extras go last) returns at once. Quiet and non-interactive (CI, no TTY, root). Prints the venv's
# python path on stdout as its last line. Exit 3 when PYTHON (>= 3.9, with venv) is missing, so callers can say so.
set -euo pipefail

name="$1" venv="$2" python="$3" report="$4"
shift 4
requirements=("$@")

if ! command -v "$python" >/dev/null 2>&1; then
  echo "$name-venv: $python not found; it needs python3 >= 3.9" >&2
  exit 3
fi
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
  echo "$name-venv: $python is older than 3.9 or has no venv module" >&2
  exit 3
fi

stamp="$venv/.faustus-stamp"
want="$("$python" -c 'import sys; print(sys.version.split()[0])') ${requirements[*]}"
satisfied() { [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want"* ]]; }
if satisfied; then
  echo "$venv/bin/python"
  exit 0
fi

# One provisioning at a time (vitest projects and the bench may call this together).
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if satisfied; then
  echo "$venv/bin/python"
  exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
if [[ ! -x "$venv/bin/python" ]]; then
  echo "$name-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi
echo "$name-venv: installing ${requirements[*]}" >&2
"$venv/bin/python" -m pip install --quiet --upgrade "${requirements[@]}" >&2
echo "$name-venv: $("$venv/bin/python" -c "$report")" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
