#!/usr/bin/env bash
# Provision the Python Faust venv used by the interop tests and the Faust benchmark: .venv/faust (git-ignored).
#
#   bash scripts/faust-venv.sh           faust-streaming 0.15.x + aiokafka >= 0.13 (Kafka 4 needs aiokafka >= 0.13)
#   bash scripts/faust-venv.sh --plot    the same, plus matplotlib (bench/faust.ts draws its chart with it)
#
# Prints the venv's python path as its last line; exit 3 when python3 is missing (see scripts/python-venv.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements=("faust-streaming>=0.15,<0.16" "aiokafka>=0.13,<0.15")
if [[ "${1:-}" == "--plot" ]]; then
  requirements+=("matplotlib>=3.8")
fi
exec bash "$root/scripts/python-venv.sh" faust "${FAUST_VENV_DIR:-$root/.venv/faust}" "${FAUST_VENV_PYTHON:-python3}" \
  'import faust, aiokafka; print("faust", faust.__version__, "aiokafka", aiokafka.__version__)' "${requirements[@]}"
