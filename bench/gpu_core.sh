#!/usr/bin/env bash
# The GPU record: the seed's conv graded three ways, the cuda-marked tests (GPU cheats included),
# and the grade-overhead benchmark. Run from the repository root on a CUDA machine; logs go to $OUT
# (default ./gpu-out). Needs torch with CUDA, nvcc and ninja; no hydra, no network.
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
export KB_CACHE_DIR=${KB_CACHE_DIR:-/tmp/kb-gpu-cache} KB_TEST_CACHE_DIR=${KB_CACHE_DIR:-/tmp/kb-gpu-cache}
kb() { python3 -m harness "$@"; }

{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv;
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"; nvcc --version | tail -2; } \
  2>&1 | tee "$OUT/machine.txt"

CONV=problems/level1/56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py
echo "== builds, in parallel" | tee "$OUT/build.txt"
kb build --device cuda --jobs 6 solutions/level1/56_*.py tests/fixtures/cuda/*.py tests/adversarial/cuda/*.py 2>&1 | tee -a "$OUT/build.txt"

echo "== the seed's conv, three ways" | tee "$OUT/conv.txt"
for f in tests/fixtures/cuda/conv_type_dispatch.py tests/fixtures/cuda/conv_off_by_one.py solutions/level1/56_*.py; do
  echo "\$ kb grade $f --problem $CONV --device cuda" | tee -a "$OUT/conv.txt"
  kb grade "$f" --problem "$CONV" --device cuda 2>&1 | tee -a "$OUT/conv.txt"
done

echo "== cuda tests" | tee "$OUT/pytest.txt"
python3 -m pytest -m cuda tests/test_gpu.py tests/adversarial/test_gpu_adversarial.py -v -p no:cacheprovider 2>&1 | tee -a "$OUT/pytest.txt"

echo "== grade overhead" | tee "$OUT/bench.txt"
python3 bench/grade_overhead.py --device cuda --solution tests/fixtures/cuda/relu_cuda.py 2>&1 | tee -a "$OUT/bench.txt"
