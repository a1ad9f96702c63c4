#!/usr/bin/env bash
# Provision the Quix Streams venv used by `npm run bench -- anchors`: .venv/quix (git-ignored).
#
#   bash scripts/quix-venv.sh     quixstreams 3.x (PyPI; wheels bundle librdkafka through confluent-kafka)
#
# Prints the venv's python path as its last line; exit 3 when python3 is missing (see scripts/python-venv.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/python-venv.sh" quix "${QUIX_VENV_DIR:-$root/.venv/quix}" "${QUIX_VENV_PYTHON:-python3}" \
  'import importlib.metadata as m; print("quixstreams", m.version("quixstreams"))' "quixstreams>=3.28,<4"
