"""Why does the seed's conv reference (cuDNN) measure 2.77-2.91 ms from grade to grade? (GPU)

    python bench/fidelity/conv_reference.py --out DIR [--processes 4] [--heat-seconds 1.0]

In the fidelity runs the solution repeats to 0.04% while the reference's loops move by 4% between grades,
and within a grade its second loop (after the solution's ~1 s of 126 ms calls) was 0.8-2.5% slower than its
first. This times the reference the way a grade does (harness.child.timing.measure, default profile), twice per
process with `--heat-seconds` of the same conv run between the loops, in `--processes` fresh processes,
and records beside each loop what could explain it: the kernels cuDNN chose (their names, from CUPTI), and
the card's SM clock, power draw and temperature (nvidia-smi) just before and after the loop.

Prints a table last; writes conv_reference.json under --out.
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
PROBLEM = ROOT / "problems" / "level1" / "56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py"


def card() -> dict:
    done = subprocess.run(["nvidia-smi", "--query-gpu=clocks.sm,power.draw,temperature.gpu",
                           "--format=csv,noheader,nounits", "--id=0"], capture_output=True, text=True)
    sm, power, temp = (field.strip() for field in done.stdout.strip().split(","))
    return {"sm_mhz": float(sm), "power_w": float(power), "temp_c": float(temp)}


def child(heat_seconds: float, seed: int) -> dict:
    import torch
    sys.path.insert(0, str(ROOT))
    from harness.child import timing
    from harness.child.inputs import make_inputs, reference_model
    from harness.child.problem import load_problem

    device = torch.device("cuda")
    problem = load_problem(PROBLEM)
    model = reference_model(problem, seed).to(device)
    inputs = make_inputs(problem, seed, device)
    with torch.no_grad(), torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        model(*inputs)
        torch.cuda.synchronize()
    kernels = sorted({e.name for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA})
    loops = []
    for loop in range(2):
        if loop:
            until = time.monotonic() + heat_seconds
            with torch.no_grad():
                while time.monotonic() < until:
                    model(*inputs)
                    torch.cuda.synchronize()
        before = card()
        with torch.no_grad():
            report = timing.measure(lambda: model(*inputs), device)
        after = card()
        spans = report.spans or report.samples
        loops.append({"median_ms": statistics.median(spans), "calls": len(spans), "spans": bool(report.spans),
                      "warmup_seconds": report.warmup_seconds, "seconds": report.seconds,
                      "before": before, "after": after})
    return {"kernels": kernels, "loops": loops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--heat-seconds", type=float, default=1.0)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.heat_seconds, args.child)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for p in range(args.processes):
        done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--heat-seconds",
                               str(args.heat_seconds), "--child", str(p)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"process {p} failed: {done.stderr[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (args.out / "conv_reference.json").write_text(json.dumps(results, indent=1))
    print("process | loop | median ms | calls | warm-up s | SM MHz before-after | W before-after | °C before-after"
          " | kernels")
    for p, result in enumerate(results):
        for k, loop in enumerate(result["loops"]):
            b, a = loop["before"], loop["after"]
            print(f"{p} | {k + 1} | {loop['median_ms']:.4f} | {loop['calls']} | {loop['warmup_seconds']} | "
                  f"{b['sm_mhz']:.0f}-{a['sm_mhz']:.0f} | {b['power_w']:.0f}-{a['power_w']:.0f} | "
                  f"{b['temp_c']:.0f}-{a['temp_c']:.0f} | {' + '.join(k[:60] for k in result['kernels'])}")


if __name__ == "__main__":
    main()
