"""What the device did inside the grader's timed call, seen by CUPTI (GPU): lead, kernels, tail, and their cost.

    python bench/fidelity/span.py --out DIR [--processes 3] [--calls 300]

Each of `--processes` fresh processes times, with the grader's own timed call (harness.child.timing.cuda_call),
the fidelity ReLU (bench/fidelity/relu.cu) on 16M and 128M floats, the same kernel on a side stream, torch.relu on
64K floats, a 4096 matmul and an empty call:

- plain: the event time, no profiler;
- under CUPTI (torch's Kineto profiler, CUDA activities only), with a marker kernel (torch.cuda._sleep) launched
  just before the start event and another just after the end event. Per call: the event time, the device span
  (first activity start to last activity end, every stream, between the two markers), the lead (start marker's
  end to the first activity), the tail (last activity's end to the end marker), and the activities' count.

It also reports the profiler's start and stop cost and how long reading the activities took, and checks which
host clock Kineto's timestamps are in. Prints a table last; writes span.json and span.md under --out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MARKER = "spin_kernel"


def child(calls: int) -> dict:
    import torch
    from torch.autograd import DeviceType, profiler
    sys.path.insert(0, str(ROOT))
    from harness.child import timing
    from torch.utils.cpp_extension import load

    ops = load("fidelity_relu", [str(HERE / "relu.cu")])
    device = torch.device("cuda")
    buffer = torch.zeros(2 * torch.cuda.get_device_properties(device).L2_cache_size // 4, device=device)
    flush = buffer.sum
    x16, x128, x64k = (torch.randn(n, device=device) for n in (1 << 24, 1 << 27, 1 << 16))
    a, b = torch.randn(4096, 4096, device=device), torch.randn(4096, 4096, device=device)
    side = torch.cuda.Stream()

    def on_side(x):
        with torch.cuda.stream(side):
            return ops.relu(x)

    cases = {"empty": lambda: None, "relu ext 16M": lambda: ops.relu(x16), "relu ext 128M": lambda: ops.relu(x128),
             "relu ext 128M side stream": lambda: on_side(x128), "torch.relu 64K": lambda: torch.relu(x64k),
             "matmul 4096": lambda: torch.mm(a, b)}
    out: dict = {"cases": {}}
    for name, fn in cases.items():
        for _ in range(20):
            fn()
        torch.cuda.synchronize()
        plain = [timing.cuda_call(fn, flush, timing.UNMARKED)[0] for _ in range(calls)]

        t0 = time.perf_counter()
        prof = profiler.profile(use_kineto=True, use_device="cuda", use_cpu=False)
        prof.__enter__()
        t1 = time.perf_counter()
        events_ms = []
        host_marks = []
        for _ in range(calls):
            timing.reset_persisting_l2()
            flush()
            torch.cuda.synchronize()
            torch.cuda._sleep(1)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            host_marks.append(time.time_ns())
            fn()
            torch.cuda.synchronize()
            end.record()
            torch.cuda._sleep(1)
            end.synchronize()
            events_ms.append(start.elapsed_time(end))
        t2 = time.perf_counter()
        prof.__exit__(None, None, None)
        t3 = time.perf_counter()
        gpu = sorted(((e.start_ns(), e.end_ns(), e.name()) for e in prof.kineto_results.events()
                      if e.device_type() == DeviceType.CUDA), key=lambda r: r[0])
        t4 = time.perf_counter()
        markers = [i for i, r in enumerate(gpu) if MARKER in r[2]]
        rows = []
        if len(markers) == 2 * calls:
            for c in range(calls):
                lo, hi = markers[2 * c], markers[2 * c + 1]
                inside = [r for r in gpu[lo + 1:hi]]
                a_end, b_start = gpu[lo][1], gpu[hi][0]
                if inside:
                    first, last = min(r[0] for r in inside), max(r[1] for r in inside)
                    rows.append({"event_us": 1e3 * events_ms[c], "span_us": (last - first) / 1e3,
                                 "lead_us": (first - a_end) / 1e3, "tail_us": (b_start - last) / 1e3,
                                 "window_us": (b_start - a_end) / 1e3, "activities": len(inside),
                                 "kernel_us": sum(r[1] - r[0] for r in inside) / 1e3})
                else:
                    rows.append({"event_us": 1e3 * events_ms[c], "span_us": 0.0, "window_us": (b_start - a_end) / 1e3,
                                 "activities": 0})
        med = lambda key: statistics.median(r[key] for r in rows) if rows and key in rows[0] else None  # noqa: E731
        out["cases"][name] = {
            "plain_event_us": 1e3 * statistics.median(plain),
            "plain_p10_p90_us": [1e3 * q for q in statistics.quantiles(plain, n=10)[::8]],
            "profiled_event_us": 1e3 * statistics.median(events_ms), "span_us": med("span_us"),
            "lead_us": med("lead_us"), "tail_us": med("tail_us"), "window_us": med("window_us"),
            "kernel_us": med("kernel_us"), "activities": med("activities"),
            "span_p10_p90_us": statistics.quantiles([r["span_us"] for r in rows], n=10)[::8] if rows else None,
            "markers_found": len(markers), "gpu_events": len(gpu),
            "profiler_start_s": t1 - t0, "profiled_loop_s": t2 - t1, "profiler_stop_s": t3 - t2, "read_s": t4 - t3,
            "names": sorted({r[2][:80] for r in gpu})[:8],
        }
        if rows and name == "relu ext 128M":  # which host clock are Kineto's timestamps in?
            first_kernel = gpu[markers[0] + 1][0]
            out["clock_check_ns"] = {"first_kernel_minus_time_ns": first_kernel - host_marks[0],
                                     "first_kernel_minus_perf_counter_ns": first_kernel - time.perf_counter_ns(),
                                     "first_kernel_minus_monotonic_ns": first_kernel - time.monotonic_ns()}
    return out


def render(runs: list[dict]) -> str:
    keys = ["plain_event_us", "profiled_event_us", "span_us", "kernel_us", "lead_us", "tail_us", "activities",
            "profiler_start_s", "profiler_stop_s", "read_s"]
    lines = ["| case | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for case in runs[0]["cases"]:
        cells = []
        for key in keys:
            values = [run["cases"][case][key] for run in runs]
            cells.append(", ".join("-" if v is None else f"{v:.4g}" for v in values))
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.calls)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for _ in range(args.processes):
        done = subprocess.run([sys.executable, __file__, "--child", "--calls", str(args.calls)], capture_output=True,
                              text=True, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            continue
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (args.out / "span.json").write_text(json.dumps(runs, indent=1))
    if not runs:
        return 1
    table = render(runs)
    (args.out / "span.md").write_text(table + "\n")
    print(json.dumps([run.get("clock_check_ns") for run in runs]))
    print(json.dumps({case: [run["cases"][case]["names"] for run in runs][:1] for case in runs[0]["cases"]}))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
