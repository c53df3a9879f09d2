#!/usr/bin/env bash
# The GPU record, in sections that fit the GPU machine's 10-minute calls, e.g. on one warm machine:
#   bash bench/gpu_session.sh machine build tests
#   bash bench/gpu_session.sh fidelity
#   bash bench/gpu_session.sh fidelity_rest overhead overhead_server
#   bash bench/gpu_session.sh conv power steps   (steps after build: it needs the fidelity ReLU built)
#   LINT=problems/level1/86_Max_reduction.py bash bench/gpu_session.sh lint
#   KERNELBENCH=path/to/KernelBench bash bench/gpu_session.sh batch
# and on a machine of two or more GPUs: `bash bench/gpu_session.sh machine sweeptest batch` (the two-GPU test
# and a batch on every card). Run from the repository root on a CUDA machine; logs go to $OUT (default ./gpu-out).
# Build caches live in .gpu/ (ignored by git), so later sections on the same machine compile nothing.
# Needs torch with CUDA, nvcc and ninja; no network (hydra only for the kb-sweep test: wheels in .whl/).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT" .gpu
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
export KB_CACHE_DIR=${KB_CACHE_DIR:-$PWD/.gpu/cache} KB_TEST_CACHE_DIR=${KB_CACHE_DIR:-$PWD/.gpu/cache}
kb() { python3 -m harness "$@"; }
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

PYTEST_REPORT=(-v -p no:cacheprovider -rfEs --tb=short --durations=12)

tests() {  # every cuda test but the two-GPU one, one xdist worker per GPU
  echo "== cuda tests, one xdist worker per GPU" | tee -a "$OUT/pytest.txt"
  KB_TEST_SPREAD_GPUS=$(gpus) python3 -m pytest -m cuda tests/ --ignore=tests/test_sweep.py "${PYTEST_REPORT[@]}" \
    -n "$(gpus)" 2>&1 | tee -a "$OUT/pytest.txt"
}

sweeptest() {  # the two-GPU sweep test (skipped on one GPU), all cards visible
  echo "== the two-GPU sweep test" | tee -a "$OUT/pytest.txt"
  python3 -m pytest -m cuda tests/test_sweep.py "${PYTEST_REPORT[@]}" 2>&1 | tee -a "$OUT/pytest.txt"
}

lint() {  # $LINT: only these problems, on the first GPU; else every problem, level 1 and levels 2-3 side by side
  if [ -n "${LINT:-}" ]; then
    kb lint --device cuda $LINT 2>&1 | tee -a "$OUT/lint.txt"
    return
  fi
  echo "== kb lint --device cuda (full size): level1 on the first GPU, levels 2-3 on the last" | tee "$OUT/lint.txt"
  CUDA_VISIBLE_DEVICES=0 kb lint --device cuda --jobs 2 problems/level1 > "$OUT/lint-level1.txt" 2>&1 &
  CUDA_VISIBLE_DEVICES=$(( $(gpus) - 1 )) kb lint --device cuda --jobs 2 problems/level2 problems/level3 \
    > "$OUT/lint-level23.txt" 2>&1
  wait
  cat "$OUT/lint-level1.txt" "$OUT/lint-level23.txt" >> "$OUT/lint.txt"
}

# The fidelity record lives in .gpu/fidelity, which stays on a warm machine: fidelity_rest, in a later call,
# compares ncu with the fidelity section's medians and adds to the same results.json. Each call copies it to $OUT.
fidelity_record() {  # run.py with these arguments on the kept record, its log and a copy of the record in $OUT
  python3 bench/fidelity/run.py --out .gpu/fidelity "$@" 2>&1 | tee -a "$OUT/fidelity.txt"
  cp -r .gpu/fidelity "$OUT/"
}

fidelity() {  # the graded cases (about 5 minutes; $FIDELITY_CASES: some of them)
  fidelity_record --sections fidelity ${FIDELITY_CASES:+--cases "$FIDELITY_CASES"}
}

fidelity_rest() {  # graph, ncu (against the fidelity section's medians) and profiles
  fidelity_record --sections graph,ncu,profiles
}

overhead() {  # a first grade (cold unless an earlier section built it), then cached re-grades, of the short
  # memory-bound ReLU, every stage on; the build cache is kept for overhead_server
  python3 bench/grade_overhead.py --device cuda --solution bench/fidelity/relu_current_stream.py \
    --problem bench/fidelity/problems/relu_short.py --regrades "${REGRADES:-3}" --cache "${OVERHEAD_CACHE:-.gpu/overhead-cache}" \
    2>&1 | tee "$OUT/bench.txt"
}

overhead_server() {  # the same grades, every process forked by `kb serve`
  python3 bench/grade_overhead.py --device cuda --solution bench/fidelity/relu_current_stream.py \
    --problem bench/fidelity/problems/relu_short.py --regrades "${REGRADES:-3}" --cache "${OVERHEAD_CACHE:-.gpu/overhead-cache}" \
    --server 2>&1 | tee "$OUT/bench-server.txt"
}

conv() {  # the seed's conv reference alone: its two loops, the kernels cuDNN chose, the card's clock, power, heat
  python3 bench/fidelity/conv_reference.py --out "$OUT/conv" 2>&1 | tee "$OUT/conv.txt"
}

power() {  # each reference's pace over seconds of calls from a rested card, beside NVML's clock, power, reasons
  python3 bench/fidelity/power_trace.py --out "$OUT/power" ${POWER_ARGS:-} 2>&1 | tee "$OUT/power.txt"
}

steps() {  # the launch-bound case's spans on CUPTI's steps: median against the near-median mean, 8 processes
  python3 bench/fidelity/steps.py --out "$OUT/steps" 2>&1 | tee "$OUT/steps.txt"
}

span() {  # what CUPTI sees inside the timed call: lead, kernels, tail; the profiler's cost
  python3 bench/fidelity/span.py --out "$OUT/span" 2>&1 | tee "$OUT/span.txt"
}

batch() {  # the batch engine against one kb grade at a time and KernelBench's eval ($KERNELBENCH: a checkout)
  python3 bench/batch_throughput.py --device cuda ${KERNELBENCH:+--kernelbench "$KERNELBENCH"} --out "$OUT/batch" \
    2>&1 | tee "$OUT/batch.txt"
}

for section in "$@"; do
  echo "### $section $(date -u +%H:%M:%S)" >&2
  "$section"
done
