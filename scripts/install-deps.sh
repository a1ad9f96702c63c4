#!/usr/bin/env bash
# Installs the Debian packages that the project's tests and benchmarks need, only those missing.
# Idempotent, quiet, non-interactive: safe to run as root with no TTY (CI), or via sudo.
#   kcat: native librdkafka client (benchmark ceiling, partitioner reference, debugging the test broker).
#   chromium: the real browser the dashboard test drives with playwright-core.
# The Kafka broker itself needs Java 17+ and Maven (`npm run kafka -- download`); they are checked, not installed,
# unless FAUSTUS_INSTALL_JAVA=1.
set -euo pipefail

PACKAGES=(kcat chromium)
if [[ "${FAUSTUS_INSTALL_JAVA:-0}" == 1 ]]; then
  PACKAGES+=(openjdk-17-jre-headless maven)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=(sudo -n); else
      echo "install-deps: need root to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-deps: apt-get failed" >&2
    exit 1
  fi
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-deps: warning: '$tool' not found; the Kafka broker needs Java 17+ and Maven (FAUSTUS_INSTALL_JAVA=1)" >&2
  fi
done
