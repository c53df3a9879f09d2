"""Pairs graded per minute by a sweep, with a cold and with a warm build cache.

    python bench/sweep_throughput.py --device cpu                       # the smoke set
    python bench/sweep_throughput.py --device cuda --set level1 level2 level3 --names --gpus 1
    python bench/sweep_throughput.py --device cuda --set level1 level2 level3 --names --gpus 2
    python bench/sweep_throughput.py --device cpu --fork-server         # grades forked by a server of the sweep's

Cold: a fresh build cache, so every pair compiles. Warm: the same cache, a fresh results
file, so every pair is graded again and nothing compiles (with --cache, the two can run in separate
commands). Idle: the share of the grading
workers' time spent waiting for a build (the pipeline's own measure); on CUDA also the
share of nvidia-smi samples (every 200 ms) in which each GPU ran no kernel.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import TIMING_PROFILES, GradeConfig
from harness.tools.results import ResultStore
from harness.tools.samples import find_samples
from harness.tools.sweep import device_slots, sweep

ROOT = Path(__file__).resolve().parent.parent


class GpuSampler:
    """nvidia-smi's utilization.gpu every 200 ms, in the background: the share of samples at 0% per GPU."""

    def __init__(self, enabled: bool):
        self.proc = None
        if enabled:
            self.proc = subprocess.Popen(["nvidia-smi", "--query-gpu=index,utilization.gpu",
                                          "--format=csv,noheader,nounits", "-lms", "200"],
                                         stdout=subprocess.PIPE, text=True)

    def stop(self) -> dict[str, float]:
        if self.proc is None:
            return {}
        self.proc.terminate()
        out, _ = self.proc.communicate()
        samples: dict[str, list[int]] = {}
        for line in out.splitlines():
            index, _, value = line.partition(",")
            if value.strip().isdigit():
                samples.setdefault(index.strip(), []).append(int(value))
        return {gpu: sum(v == 0 for v in values) / len(values) for gpu, values in samples.items() if values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--set", nargs="+", default=["level1"])
    parser.add_argument("--names", nargs="*", default=["19_ReLU", "23_Softmax"], help="empty: the whole set")
    parser.add_argument("--gpus", type=int, default=0, help="grading workers on the first N GPUs (0: all)")
    parser.add_argument("--build-jobs", type=int, default=2)
    parser.add_argument("--timing", default="default", choices=sorted(TIMING_PROFILES))
    parser.add_argument("--runs", nargs="+", default=["cold", "warm"], choices=["cold", "warm"])
    parser.add_argument("--out", type=Path, help="keep each run's results JSONL here (default: discarded)")
    parser.add_argument("--cache", type=Path, help="the build cache, kept for a later '--runs warm' (default: "
                                                   "a temporary one); a cold run empties it first")
    parser.add_argument("--fork-server", action="store_true", help="each sweep forks its grades' processes from a "
                                                                   "server of its own (its start is in the wall time)")
    args = parser.parse_args()

    pairs = [sample for sample in find_samples([str(ROOT / "solutions" / name) for name in args.set])
             if not args.names or sample.name in args.names]
    with tempfile.TemporaryDirectory(prefix="kb-bench-sweep-") as tmp:
        cache = (args.cache or Path(tmp) / "cache").resolve()
        if "cold" in args.runs:
            shutil.rmtree(cache, ignore_errors=True)
        config = GradeConfig(device=args.device, timing=TIMING_PROFILES[args.timing], cache_dir=cache)
        slots = device_slots(config)
        if args.gpus:
            slots = slots[:args.gpus]
        print(f"{len(pairs)} pairs ({' '.join(args.set)}), device {args.device}, {len(slots)} grading worker(s) "
              f"{slots}, {args.build_jobs} build jobs, timing {args.timing}"
              f"{', processes forked by a fork server' if args.fork_server else ''}")
        print(f"{'cache':<6} {'wall s':>8} {'pairs/min':>10} {'passed':>7} {'worker idle':>12}  gpu idle samples")
        for label in args.runs:
            sampler = GpuSampler(args.device == "cuda")
            started = time.monotonic()
            results = (args.out or Path(tmp)) / f"{label}-{len(slots)}gpu.jsonl"
            summary = sweep(pairs, config, ResultStore(results), build_jobs=args.build_jobs, slots=slots,
                            fork_server=args.fork_server)
            wall = time.monotonic() - started
            gpu_idle = ", ".join(f"gpu{g} {f:.0%}" for g, f in sorted(sampler.stop().items())) or "-"
            print(f"{label:<6} {wall:>8.1f} {60 * summary.graded / wall:>10.2f} {summary.passed:>4}/{summary.graded}"
                  f" {summary.idle_fraction:>11.0%}  {gpu_idle}")


if __name__ == "__main__":
    main()
