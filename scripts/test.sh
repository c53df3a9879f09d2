#!/usr/bin/env bash
# Set up, then run the test suite (GPU tests are skipped where torch sees no CUDA device).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
