#!/usr/bin/env bash
# The GPU record, in sections that fit the GPU machine's 10-minute calls:
#   bash bench/gpu_session.sh machine build tests      # then, on the same warm machine:
#   bash bench/gpu_session.sh lint                     # and
#   bash bench/gpu_session.sh fidelity; then sweep1; then sweep2    (each about 10 minutes or less)
# Run from the repository root on a CUDA machine; logs go to $OUT (default ./gpu-out). The build
# cache lives in .gpu/cache (ignored by git), so later sections on the same machine compile nothing.
# Needs torch with CUDA, nvcc and ninja; no network (hydra only for the kb-sweep test: wheels in .whl/).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT" .gpu
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
export KB_CACHE_DIR=${KB_CACHE_DIR:-$PWD/.gpu/cache} KB_TEST_CACHE_DIR=${KB_CACHE_DIR:-$PWD/.gpu/cache}
kb() { python3 -m harness.cli "$@"; }
cuda_solutions() { grep -l "cuda_sources\|\.cu\"" solutions/level*/*.py; }

machine() {
  { date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv;
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"; nvcc --version | tail -2; } \
    2>&1 | tee "$OUT/machine.txt"
  ls .whl/*.whl >/dev/null 2>&1 && pip install --no-deps --no-index -q .whl/*.whl 2>&1 | tail -2
}

build() {
  echo "== builds, in parallel" | tee "$OUT/build.txt"
  kb build --device cuda --jobs 12 $(cuda_solutions) tests/fixtures/cuda/*.py tests/adversarial/cuda/*.py \
    bench/fidelity/relu_*.py 2>&1 | tee -a "$OUT/build.txt"
}

gpus() { nvidia-smi --list-gpus | wc -l; }

tests() {
  echo "== cuda tests, one xdist worker per GPU" | tee "$OUT/pytest.txt"
  KB_TEST_SPREAD_GPUS=$(gpus) python3 -m pytest -m cuda tests/ -v -p no:cacheprovider -n "$(gpus)" 2>&1 \
    | tee -a "$OUT/pytest.txt"
  echo "== the two-GPU sweep test, all cards visible" | tee -a "$OUT/pytest.txt"
  python3 -m pytest -m cuda tests/test_sweep.py -v -p no:cacheprovider 2>&1 | tee -a "$OUT/pytest.txt"
}

lint() {
  echo "== kb lint --device cuda (full size): level1 on the first GPU, levels 2-3 on the last" | tee "$OUT/lint.txt"
  CUDA_VISIBLE_DEVICES=0 kb lint --device cuda --jobs 2 problems/level1 > "$OUT/lint-level1.txt" 2>&1 &
  CUDA_VISIBLE_DEVICES=$(( $(gpus) - 1 )) kb lint --device cuda --jobs 2 problems/level2 problems/level3 \
    > "$OUT/lint-level23.txt" 2>&1
  wait
  cat "$OUT/lint-level1.txt" "$OUT/lint-level23.txt" >> "$OUT/lint.txt"
}

fidelity() {
  python3 bench/fidelity/run.py --out "$OUT/fidelity" 2>&1 | tee "$OUT/fidelity.txt"
}

sweep_on() {  # $1: how many GPUs (0: all). The shipped CUDA pairs only: the C++ ones reject CUDA tensors.
  echo "== sweep throughput, CUDA pairs of level1-3, gpus=$1 (0: all)" | tee -a "$OUT/sweep.txt"
  python3 bench/sweep_throughput.py --device cuda --set level1 level2 level3 --gpus "$1" --build-jobs 12 \
    --names $(cuda_solutions | xargs -n1 basename | sed 's/\.py$//') --out "$OUT/sweep-$1" 2>&1 | tee -a "$OUT/sweep.txt"
}

sweep1() {  # one GPU, cold then warm; then every CUDA pair's verdict, speedup, roofline fraction, own share
  sweep_on 1
  kb report "$OUT/sweep-1/warm-1gpu.jsonl" --out "$OUT/report" 2>&1 | tee -a "$OUT/sweep.txt"
}

sweep2() {  # every GPU, cold then warm
  sweep_on 0
}

for section in "$@"; do
  echo "### $section $(date -u +%H:%M:%S)" >&2
  "$section"
done
