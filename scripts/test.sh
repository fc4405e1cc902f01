#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

python -m pip install -q -e ".[test]"
# torch.optim is the reference the optimizer tests compare against (CPU build).
python -m pip install -q "torch==2.13.0"  # no fallback: without the reference CI must fail, not skip

python -m pytest --headless "$@"
