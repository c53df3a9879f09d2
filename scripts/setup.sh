#!/usr/bin/env bash
# Set up ./.venv for kb: reuses a torch that python3 already has (the GPU machines', with the Triton that torch
# was built with), otherwise installs the CPU build of torch 2.13.0 and Triton 3.9.0 first (the CPU runs Triton
# kernels in Triton's interpreter; tests/test_triton.py), so that no multi-GB CUDA build is pulled in.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install -q torch==2.13.0 triton==3.9.0
fi
.venv/bin/python -m pip install -q -e '.[dev]'
