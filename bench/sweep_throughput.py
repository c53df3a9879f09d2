"""Pairs graded per minute by a sweep, with a cold and with a warm build cache.

    python bench/sweep_throughput.py --device cpu            # the smoke set
    python bench/sweep_throughput.py --device cuda --set level1

Cold: a fresh build cache, so every pair compiles. Warm: the same cache, a fresh results
file, so every pair is graded again and nothing compiles.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness.config import TIMING_PROFILES, GradeConfig
from harness.results import ResultStore, find_pairs
from harness.sweep import device_slots, sweep

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--set", default="level1")
    parser.add_argument("--names", nargs="*", default=["19_ReLU", "23_Softmax"], help="empty: the whole set")
    parser.add_argument("--build-jobs", type=int, default=2)
    args = parser.parse_args()

    pairs = find_pairs(ROOT / "solutions", ROOT / "problems", sets=[args.set], names=args.names or None)
    with tempfile.TemporaryDirectory(prefix="kb-bench-sweep-") as tmp:
        config = GradeConfig(device=args.device, timing=TIMING_PROFILES["default"], cache_dir=Path(tmp) / "cache")
        print(f"{len(pairs)} pairs ({args.set}: {', '.join(p.name for p in pairs)}), device {args.device}, "
              f"{len(device_slots(config))} grading worker(s), {args.build_jobs} build jobs")
        print(f"{'cache':<6} {'wall s':>8} {'pairs/min':>10} {'passed':>7}")
        for label in ("cold", "warm"):
            started = time.monotonic()
            summary = sweep(pairs, config, ResultStore(Path(tmp) / f"{label}.jsonl"), build_jobs=args.build_jobs)
            wall = time.monotonic() - started
            print(f"{label:<6} {wall:>8.1f} {60 * summary.graded / wall:>10.2f} {summary.passed:>4}/{summary.graded}")


if __name__ == "__main__":
    main()
