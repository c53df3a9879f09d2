"""What the machine does while the timer is slow (GPU): episodes against CPU steal, preemption and interrupts.

    python bench/fidelity/episodes.py --out DIR [--seconds 90]

One process times, with the grader's own timed call (harness.child.timing), windows of 50 ms in turn: an empty
call, then torch.relu on 128M floats (~0.37 ms, memory-bound). For each window it keeps the median, and what
the kernel says happened meanwhile: the CPU the process ran on, that CPU's time in steal (taken by the
hypervisor), irq and softirq, and the process's involuntary context switches (preempted by another task).
A window whose empty call is 1.3x the quietest window's plus 1 µs counts as slow, the rule of
harness.common.stats.disturbed. Prints a table last; writes episodes.json and episodes.md under --out.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from anatomy import current_cpu  # this directory is the script's: sys.path[0]

ROOT = Path(__file__).resolve().parents[2]
WINDOW_S = 0.05
CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def _cpu_ticks() -> dict[str, list[int]]:
    """Per-CPU jiffies from /proc/stat, by CPU name ("cpu" is all of them)."""
    ticks = {}
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("cpu"):
                name, *values = line.split()
                ticks[name] = [int(v) for v in values[:len(CPU_FIELDS)]]
    return ticks


def _window(fn, flush, timing) -> dict:
    cpu, before, switches = current_cpu(), _cpu_ticks(), resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
    samples, started = [], time.monotonic()
    while time.monotonic() - started < WINDOW_S or len(samples) < 5:
        samples.append(timing.cuda_call(fn, flush, timing.UNMARKED)[0])
    after = _cpu_ticks()
    mine = [b - a for a, b in zip(before[f"cpu{cpu}"], after[f"cpu{cpu}"])]
    every = [b - a for a, b in zip(before["cpu"], after["cpu"])]
    return {"t": round(started, 3), "median_us": 1e3 * statistics.median(samples), "calls": len(samples),
            "cpu": cpu, "cpus_at_end": current_cpu(),
            "preempted": resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - switches,
            **{f"cpu_{name}": value for name, value in zip(CPU_FIELDS, mine)},
            "all_steal": every[CPU_FIELDS.index("steal")]}


def measure(seconds: float) -> list[dict]:
    import torch
    sys.path.insert(0, str(ROOT))
    from harness.child import timing

    device = torch.device("cuda")
    flush = torch.zeros(2 * torch.cuda.get_device_properties(device).L2_cache_size // 4, device=device).sum
    x = torch.randn(1 << 27, device=device)
    relu = lambda: torch.relu(x)  # noqa: E731
    for _ in range(20):
        relu()
    torch.cuda.synchronize()
    rows, ended = [], time.monotonic() + seconds
    while time.monotonic() < ended:
        empty = _window(lambda: None, flush, timing)
        kernel = _window(relu, flush, timing)
        rows.append({"empty": empty, "relu": kernel})
    return rows


def summarize(rows: list[dict]) -> dict:
    quietest = min(r["empty"]["median_us"] for r in rows)
    slow = [r for r in rows if r["empty"]["median_us"] > quietest * 1.3 + 1.0]
    quiet = [r for r in rows if r not in slow]

    def mean(group: list[dict], key: str, which: str = "empty") -> float | None:
        return statistics.fmean(r[which][key] for r in group) if group else None

    return {"pairs": len(rows), "slow_pairs": len(slow), "quietest_empty_us": quietest,
            **{f"{label}_{key}": mean(group, key) for label, group in (("quiet", quiet), ("slow", slow))
               for key in ("median_us", "cpu_steal", "cpu_irq", "cpu_softirq", "preempted", "all_steal")},
            "quiet_relu_us": mean(quiet, "median_us", "relu"), "slow_relu_us": mean(slow, "median_us", "relu"),
            "cpus": sorted({r["empty"]["cpu"] for r in rows} | {r["relu"]["cpu"] for r in rows}),
            "relu_vs_empty_correlation": statistics.correlation([r["empty"]["median_us"] for r in rows],
                                                                [r["relu"]["median_us"] for r in rows])}


def render(summary: dict) -> str:
    def fmt(value) -> str:
        return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)

    keys = ("median_us", "cpu_steal", "cpu_irq", "cpu_softirq", "preempted", "all_steal")
    lines = [f"{summary['pairs']} pairs of 50 ms windows, {summary['slow_pairs']} slow; quietest empty call "
             f"{summary['quietest_empty_us']:.3g} µs; CPUs {summary['cpus']}; correlation of the empty call's and "
             f"the 128M relu's window medians: {summary['relu_vs_empty_correlation']:.3f}",
             "", "| windows | empty call µs | steal | irq | softirq | preempted | steal, all CPUs | relu µs |",
             "|---|---|---|---|---|---|---|---|"]
    for label in ("quiet", "slow"):
        lines.append(f"| {label} | " + " | ".join(fmt(summary[f"{label}_{k}"]) for k in keys)
                     + f" | {fmt(summary[f'{label}_relu_us'])} |")
    lines.append("\n(steal, irq, softirq: jiffies of the process's CPU per window, all CPUs for the last column; "
                 "preempted: involuntary context switches per window)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=90.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = measure(args.seconds)
    summary = summarize(rows)
    (args.out / "episodes.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    text = render(summary)
    (args.out / "episodes.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
