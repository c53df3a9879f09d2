#!/usr/bin/env bash
# Set up, then grade a shipped solution: the seed's CUDA convolution where torch sees a GPU,
# the CPU ReLU example otherwise. Extra arguments go to `kb grade` (try --json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if .venv/bin/python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "CUDA found: grading the seed's 2D convolution (CUDA) against PyTorch" >&2
  solution=solutions/level1/56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py
  device=cuda
else
  echo "No CUDA device: grading the CPU example (a C++ ReLU) against PyTorch on the CPU" >&2
  solution=solutions/level1/19_ReLU.py
  device=cpu
fi
exec .venv/bin/kb grade "$solution" --device "$device" "$@"
