"""Where the timer's variation comes from: flush kind, loop length and process, one kernel at a time (GPU).

    python bench/fidelity/anatomy.py --out DIR [--processes 4]

Each of `--processes` fresh processes times, with the grader's own timed call (harness.child.timing), torch.relu on
64K floats (launch-bound), on 16M floats (~50 µs) and 128M floats (~0.4 ms, memory-bound) and an empty
call, each with the cache flushed by writing zeros and by summing a float buffer, in a short loop (50 ms of
calls) and a long one (1 s), the configurations in a different order in each process. Per loop it keeps the
median, the 10th and 90th percentiles, the medians of the first and last fifth of the calls, and the CPU the
process ran on. nvidia-smi samples the card's clocks, power and temperature every 100 ms beside it. Prints a
table last; writes anatomy.json, anatomy.md and clocks.csv under --out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"launch 64K": 1 << 16, "short 16M": 1 << 24, "memory 128M": 1 << 27, "empty": 0}
LOOPS = {"short loop": 0.05, "long loop": 1.0}


def current_cpu() -> int:
    with open("/proc/self/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[36])  # field 39: the CPU last run on


def child(order_seed: int) -> list[dict]:
    import random

    import torch
    sys.path.insert(0, str(ROOT))
    from harness.child import timing

    device = torch.device("cuda")
    buffer = torch.zeros(2 * torch.cuda.get_device_properties(device).L2_cache_size // 4, device=device)
    flushes = {"write flush": buffer.zero_, "read flush": buffer.sum}
    inputs = {name: torch.randn(n, device=device) for name, n in SIZES.items() if n}
    configs = [(size, flush, loop) for size in SIZES for flush in flushes for loop in LOOPS]
    random.Random(order_seed).shuffle(configs)
    rows = []
    for size, flush, loop in configs:
        fn = (lambda: None) if size == "empty" else (lambda x=inputs[size]: torch.relu(x))
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        cpu_before, samples, started = current_cpu(), [], time.monotonic()
        while time.monotonic() - started < LOOPS[loop] or len(samples) < 10:
            samples.append(timing.cuda_call(fn, flushes[flush], timing.UNMARKED)[0])
        fifth = max(1, len(samples) // 5)
        deciles = statistics.quantiles(samples, n=10)
        rows.append({"size": size, "flush": flush, "loop": loop, "calls": len(samples),
                     "median_us": 1e3 * statistics.median(samples), "p10_us": 1e3 * deciles[0],
                     "p90_us": 1e3 * deciles[-1], "first_fifth_us": 1e3 * statistics.median(samples[:fifth]),
                     "last_fifth_us": 1e3 * statistics.median(samples[-fifth:]), "cpus": [cpu_before, current_cpu()]})
    return rows


def render(runs: list[list[dict]]) -> str:
    lines = ["| kernel | flush | loop | medians per process (µs) | first / last fifth, per process (µs) | CPUs |",
             "|---|---|---|---|---|---|"]
    for key in sorted({(r["size"], r["flush"], r["loop"]) for run in runs for r in run}):
        rows = [r for run in runs for r in run if (r["size"], r["flush"], r["loop"]) == key]
        medians = ", ".join(f"{r['median_us']:.1f}" for r in rows)
        drift = ", ".join(f"{r['first_fifth_us']:.1f}/{r['last_fifth_us']:.1f}" for r in rows)
        cpus = ", ".join("-".join(map(str, r["cpus"])) for r in rows)
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {medians} | {drift} | {cpus} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "clocks.csv", "w") as clocks:
        sampler = subprocess.Popen(["nvidia-smi", "--query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,"
                                    "temperature.gpu,utilization.gpu", "--format=csv", "-lms", "100"], stdout=clocks)
        runs = []
        for process in range(args.processes):
            done = subprocess.run([sys.executable, __file__, "--child", str(process)], capture_output=True,
                                  text=True, cwd=ROOT)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        sampler.terminate()
    (args.out / "anatomy.json").write_text(json.dumps(runs, indent=1))
    table = render(runs)
    (args.out / "anatomy.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
