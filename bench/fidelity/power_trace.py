"""How a reference's pace follows the card's clock and power over seconds of back-to-back calls (GPU)

    python bench/fidelity/power_trace.py --out DIR [--cases conv,matmul] [--repeats 3] [--seconds 6]
    python bench/fidelity/power_trace.py --render DIR/power_trace.json[.gz]

The seed's conv reference (cuDNN) moves by up to 5% between timing loops, and its loops are where the card
reaches its power limit. This script shows the mechanism over time rather than loop by loop: for each case,
in a fresh process, `--repeats` times: wait until the card is back at rest (its power near what it drew
before anything ran, at most `--rest-seconds`), then call the reference's forward back to back for
`--seconds`, each call timed by CUDA events, while a thread samples NVML (SM clock, instant power,
temperature, the clock-event reasons) every few milliseconds. Reports per time bin: the median call, SM MHz,
W, °C and which reasons held the clock down; per run, the share of it the grader's own counter
(harness.child.powerlimit, as the timer reads it) says the card was held at its limit, beside the share of readings
that named a power or thermal reason.

Prints the tables last (`--render FILE` prints them again from a saved power_trace.json), the last one how far
a loop of 0.25-3 s lands from another by where it starts, by its median call and by its mean call; writes
power_trace.json under --out.
"""
from __future__ import annotations

import argparse
import ctypes
import gzip
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "conv": ROOT / "problems" / "level1" / "56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py",
    "matmul": ROOT / "problems" / "level1" / "82_Square_matmul.py",
    "relu128M": ROOT / "bench" / "fidelity" / "problems" / "relu_memory.py",
}
REASONS = {0x1: "idle", 0x4: "power-cap", 0x8: "hw-slowdown", 0x20: "sw-thermal", 0x40: "hw-thermal",
           0x80: "power-brake"}
_NVML_CLOCK_SM, _NVML_TEMPERATURE_GPU, _NVML_FI_DEV_POWER_INSTANT = 1, 0, 186


class _FieldValue(ctypes.Structure):
    _fields_ = [("fieldId", ctypes.c_uint), ("scopeId", ctypes.c_uint), ("timestamp", ctypes.c_longlong),
                ("latencyUsec", ctypes.c_longlong), ("valueType", ctypes.c_int), ("nvmlReturn", ctypes.c_int),
                ("value", ctypes.c_ulonglong)]


class Card:
    """NVML readings of one GPU, through the library and handle the grader's limit counter opened."""

    def __init__(self, counter):  # a harness.child.powerlimit.LimitCounter
        if counter.nvml is None:
            raise SystemExit(f"no NVML readings of this card: {counter.note}")
        self.nvml, self.handle = counter.nvml, counter.handle

    def read(self) -> dict:
        sm, temp, reasons = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_ulonglong()
        self.nvml.nvmlDeviceGetClockInfo(self.handle, _NVML_CLOCK_SM, ctypes.byref(sm))
        self.nvml.nvmlDeviceGetTemperature(self.handle, _NVML_TEMPERATURE_GPU, ctypes.byref(temp))
        self.nvml.nvmlDeviceGetCurrentClocksThrottleReasons(self.handle, ctypes.byref(reasons))
        field = _FieldValue(fieldId=_NVML_FI_DEV_POWER_INSTANT)
        self.nvml.nvmlDeviceGetFieldValues(self.handle, 1, ctypes.byref(field))
        power_mw = field.value & 0xFFFFFFFF if field.nvmlReturn == 0 else -1
        return {"t": time.monotonic(), "sm_mhz": sm.value, "power_w": power_mw / 1000, "temp_c": temp.value,
                "reasons": reasons.value}


def sample(card: Card, period_s: float, into: list, stop: threading.Event) -> None:
    while not stop.is_set():
        into.append(card.read())
        time.sleep(period_s)


def child(problem_path: Path, repeats: int, seconds: float, rest_seconds: float, period_s: float) -> list:
    import torch
    sys.path.insert(0, str(ROOT))
    from harness.child.inputs import make_inputs, reference_model
    from harness.child.powerlimit import held_share
    from harness.child.problem import load_problem
    from harness.child.timing import limit_counter

    device = torch.device("cuda")
    counter = limit_counter(device)  # the grader's own count of time at the limit, to set beside the readings
    card = Card(counter)
    resting_w = card.read()["power_w"]
    problem = load_problem(problem_path)
    model = reference_model(problem, 0).to(device)
    inputs = make_inputs(problem, 0, device)
    results = []
    for _ in range(repeats):
        rest_start = time.monotonic()
        torch.cuda.synchronize()
        while time.monotonic() - rest_start < rest_seconds and card.read()["power_w"] > resting_w * 1.15:
            time.sleep(0.05)
        rested_s = time.monotonic() - rest_start
        readings, calls, stop = [], [], threading.Event()
        sampler = threading.Thread(target=sample, args=(card, period_s, readings, stop), daemon=True)
        sampler.start()
        start, held_from = time.monotonic(), counter.held_ns()
        with torch.no_grad():
            while time.monotonic() - start < seconds:
                begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                begin.record()
                model(*inputs)
                end.record()
                end.synchronize()
                calls.append((time.monotonic() - start, begin.elapsed_time(end)))
        held_to, seconds = counter.held_ns(), time.monotonic() - start
        stop.set()
        sampler.join()
        results.append({"rested_s": round(rested_s, 2), "resting_w": resting_w, "calls": calls,
                        "held_share": held_share(held_from, held_to, seconds), "counter_note": counter.note,
                        "readings": [{**r, "t": r["t"] - start} for r in readings]})
    return results


def bins(run: dict, width_s: float) -> list[dict]:
    rows = []
    edges = [i * width_s for i in range(int(max(t for t, _ in run["calls"]) / width_s) + 1)]
    for lo in edges:
        hi = lo + width_s
        calls = [ms for t, ms in run["calls"] if lo <= t < hi]
        reads = [r for r in run["readings"] if lo <= r["t"] < hi]
        if not calls or not reads:
            continue
        reasons = 0
        for r in reads:
            reasons |= r["reasons"]
        rows.append({"from_s": round(lo, 2), "calls": len(calls), "median_ms": statistics.median(calls),
                     "sm_mhz": statistics.mean(r["sm_mhz"] for r in reads),
                     "power_w": statistics.mean(r["power_w"] for r in reads),
                     "temp_c": max(r["temp_c"] for r in reads),
                     "reasons": "+".join(name for bit, name in REASONS.items() if reasons & bit) or "-"})
    return rows


def window_spreads(runs: list[dict], length_s: float, skip_s: float, step_s: float = 0.05) -> tuple[float, float]:
    """How far a loop of `length_s` could land from another, by where it starts: the spread (max/min - 1) of the
    median call, and of the mean call, over every window of that length from `skip_s` on, in every run."""
    medians, means = [], []
    for run in runs:
        start = run["calls"][0][0] + skip_s  # from the end of the first call, which may set up cuDNN
        while start + length_s <= max(t for t, _ in run["calls"]):
            window = [ms for t, ms in run["calls"] if start <= t < start + length_s]
            if window:
                medians.append(statistics.median(window))
                means.append(statistics.mean(window))
            start += step_s
    return max(medians) / min(medians) - 1, max(means) / min(means) - 1


def render(results: dict, bin_s: float, skip_s: float) -> None:
    for case, runs in results.items():
        for k, run in enumerate(runs):
            limited = sum(r["reasons"] & 0xEC != 0 for r in run["readings"]) / max(1, len(run["readings"]))
            print(f"== {case}, run {k + 1} (rested {run['rested_s']} s; card at rest drew {run['resting_w']:.0f} W); "
                  f"driver's count of time at the limit: {run.get('held_share')} of the run; "
                  f"readings with a limit's reason: {limited:.3f}")
            print("from s | calls | median ms | SM MHz | W | max °C | clock held by")
            for row in bins(run, bin_s):
                print(f"{row['from_s']:.2f} | {row['calls']} | {row['median_ms']:.4f} | {row['sm_mhz']:.0f} | "
                      f"{row['power_w']:.0f} | {row['temp_c']} | {row['reasons']}")
    print(f"\nA loop of this length, started anywhere from {skip_s} s after a run's first call: spread of its median "
          "call and of its mean call")
    print("case | loop s | median spread | mean spread")
    for case, runs in results.items():
        for length in (0.25, 0.5, 1.0, 2.0, 3.0):
            if all(run["calls"][-1][0] - run["calls"][0][0] >= skip_s + length for run in runs):
                by_median, by_mean = window_spreads(runs, length, skip_s)
                print(f"{case} | {length} | {100 * by_median:.2f}% | {100 * by_mean:.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rest-seconds", type=float, default=15.0)
    parser.add_argument("--period-ms", type=float, default=5.0)
    parser.add_argument("--bin-seconds", type=float, default=0.25)
    parser.add_argument("--skip-seconds", type=float, default=1.0,
                        help="the windows of the last table start this far past a run's first call")
    parser.add_argument("--render", type=Path, help="only print the tables of a saved power_trace.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        text = gzip.decompress(args.render.read_bytes()) if args.render.suffix == ".gz" else args.render.read_text()
        render(json.loads(text), args.bin_seconds, args.skip_seconds)
        return
    if args.child is not None:
        print(json.dumps(child(CASES[args.child], args.repeats, args.seconds, args.rest_seconds,
                               args.period_ms / 1000)))
        return
    if args.out is None:
        parser.error("--out is required (or --render a saved power_trace.json)")
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for case in args.cases.split(","):
        done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--child", case,
                               "--repeats", str(args.repeats), "--seconds", str(args.seconds),
                               "--rest-seconds", str(args.rest_seconds), "--period-ms", str(args.period_ms)],
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{case} failed: {done.stderr[-2000:]}")
        results[case] = json.loads(done.stdout.strip().splitlines()[-1])
    (args.out / "power_trace.json").write_text(json.dumps(results))
    render(results, args.bin_seconds, args.skip_seconds)

if __name__ == "__main__":
    main()
