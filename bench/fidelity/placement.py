"""Does where its buffers lie change a memory-bound kernel's device time? (GPU)

    python bench/fidelity/placement.py --out DIR [--processes 3] [--placements 8] [--calls 100]

On an H200 the 16M-float ReLU's span sat at one of two values per process (31.9 or 32.3 µs), the reference's at
30.0-30.3. This times one elementwise kernel, `torch.abs(x, out=y)` on 16M floats (64 MB read, 64 MB written,
the short memory-bound case), with the grader's own timing loop (harness.child.timing.measure: flush, markers,
CUPTI spans) on `--placements` pairs of buffers, each pair allocated after a random amount of other memory
(so each lies elsewhere), twice each, in `--processes` fresh processes. If the pairs differ by more than the
loops of one pair do, placement is what moves the span from process to process.

Prints a table last; writes placement.json under --out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child(placements: int, calls: int, seed: int) -> dict:
    import random

    import torch
    sys.path.insert(0, str(ROOT))
    from harness.child import timing
    from harness.common.settings import TimingProfile

    rng = random.Random(seed)
    device = torch.device("cuda")
    profile = TimingProfile(warmup_calls=3, warmup_seconds=0.05, min_calls=calls, min_seconds=0.0,
                            max_calls=calls, target_rel_width=0.0, max_seconds=30.0, retimes=0)
    held, pairs = [], []
    for _ in range(placements):
        held.append(torch.empty(rng.randrange(1, 96) << 20, dtype=torch.uint8, device=device))
        pairs.append((torch.randn(1 << 24, device=device), torch.empty(1 << 24, device=device)))
    rows = []
    for round_ in range(2):
        for k, (x, y) in enumerate(pairs):
            report = timing.measure(lambda: torch.abs(x, out=y), device, profile)
            spans = report.spans or []
            rows.append({"pair": k, "round": round_, "x_mb": x.data_ptr() >> 20, "y_mb": y.data_ptr() >> 20,
                         "x_2mb_offset_kb": (x.data_ptr() % (2 << 20)) >> 10,
                         "span_us": 1e3 * statistics.median(spans) if spans else None,
                         "event_us": 1e3 * statistics.median(report.samples), "note": report.spans_note})
    return {"rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--placements", type=int, default=8)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.placements, args.calls, args.child)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for p in range(args.processes):
        done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--placements", str(args.placements),
                               "--calls", str(args.calls), "--child", str(p)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"process {p} failed: {done.stderr[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (args.out / "placement.json").write_text(json.dumps(results, indent=1))
    print("process | pair | x MB | y MB | span µs round 1 | round 2 | event µs round 1")
    for p, result in enumerate(results):
        by_pair: dict[int, list[dict]] = {}
        for row in result["rows"]:
            by_pair.setdefault(row["pair"], []).append(row)
        for k, (first, second) in sorted(by_pair.items()):
            print(f"{p} | {k} | {first['x_mb']} | {first['y_mb']} | {first['span_us']:.2f} | {second['span_us']:.2f} | "
                  f"{first['event_us']:.1f}")
    for p, result in enumerate(results):
        spans = [r["span_us"] for r in result["rows"] if r["span_us"]]
        pair_means = {}
        for r in result["rows"]:
            pair_means.setdefault(r["pair"], []).append(r["span_us"])
        loop_gap = max(abs(a - b) for a, b in pair_means.values())
        print(f"process {p}: spans {min(spans):.2f}-{max(spans):.2f} µs over pairs ({max(spans) / min(spans) - 1:.2%}); "
              f"the same pair's two loops differ by at most {loop_gap:.2f} µs")


if __name__ == "__main__":
    main()
