"""Where a launch-bound kernel's device spans sit on CUPTI's steps, and which estimate of a loop repeats (GPU)

    python bench/fidelity/steps.py --out DIR [--processes 8] [--case launch]

A 1.5 µs kernel's spans take values ~32 ns apart (one tick of the device's timer, 2.2% of the kernel), and a
grade's time is the median of its loop: on an H200 the reference's median was 1.440 µs in four grades and
1.471 in a fifth, the solution's 1.505 or 1.536, and their speedup spread 4.3%. A median cannot fall between two
steps. Where a call's start falls against the timer's ticks varies from call to call, so a loop's spans should
mix the two steps around the kernel's true time in proportion to where it lies between them, and the mean of
the calls near the median would resolve below a step. This checks that before any estimate changes in the
grader: in `--processes` fresh processes, it times the fidelity case's reference and solution the way a
grade does (harness.child.timing.measure, default profile, inputs in turn; both in one process, as this honest
solution allows, where a grade keeps them apart), keeps every span, and reports

- per process: the median, the mean of the spans within two steps of it, and the shares of the commonest
  values (do the loops mix two steps, or does each process sit on one?);
- across processes: the spread (max/min - 1) of each estimate (the median, the near-median mean, and the
  median interpolated within its step), for the reference, the solution and their ratio, the speedup.

What it found on an H200 (docs/timing.md, "Why the median"; the run in docs/record/): 96-99% of the
reference's spans lie on 15 steps (1247-1728 ns), a quarter to a third on the median's; across 8 processes the
median repeated to 0.07% of the speedup, the near-median mean to 0.83%, the interpolated median to 1.18%. The
grader keeps the median.

Prints the tables last; writes steps.json (every span) under --out. Run from the repository root with the
build cache warm (bench/fidelity/run.py or `kb build` builds the fidelity ReLU).
"""
from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
from harness.common.stats import ROUNDING_MS, median_ci, resolution  # noqa: E402  (no torch: the parent side needs none)
CASES = {"launch": HERE / "problems" / "relu_launch.py", "short": HERE / "problems" / "relu_short.py"}
SOLUTION = HERE / "relu_current_stream.py"
NEAR_STEPS = 2  # the windowed mean keeps spans within this many of the clock's steps of the median


def child(problem_path: Path, seed: int) -> dict:
    import torch
    from harness.child import timing
    from harness.child.buildcache import ExtensionCache
    from harness.child.inputs import CallInputs, reference_model
    from harness.child.problem import load_module, load_problem
    from harness.common import stats
    from harness.common.settings import default_cache_dir

    ExtensionCache(default_cache_dir(), None, cuda_available=True).install()
    device = torch.device("cuda")
    problem = load_problem(problem_path)
    models = {"reference": reference_model(problem, seed).to(device),
              "solution": load_module(SOLUTION, "solution").ModelNew().to(device)}
    spans = {}
    for role, model in models.items():
        calls = CallInputs(problem, seed, seed + 1, device)
        with torch.no_grad():
            report = timing.measure(lambda: model(*calls.values), device, before_call=calls.refresh)
        if report.spans is None or stats.span_refusal([report], []):
            raise SystemExit(f"{role}: no believable device spans ({report.get('spans_note')})")
        spans[role] = report.spans
    return spans


def near_median_mean(samples: list[float], steps: int = NEAR_STEPS) -> float:
    """The mean of the samples within `steps` of the clock's steps of their median (harness.common.stats.resolution):
    far outliers (a call held up by the host) are left out, the mix of the two steps around the median kept."""
    median = median_ci(samples)[0]
    reach = steps * resolution(samples) + 1e-9
    return statistics.mean(x for x in samples if abs(x - median) <= reach)


def step_counts(samples: list[float]) -> collections.Counter:
    """How many samples sit on each step (in ns), values within the timestamps' rounding counted as one."""
    counts: collections.Counter = collections.Counter()
    step = None
    for ns in sorted(round(x * 1e6) for x in samples):
        if step is None or ns - step > ROUNDING_MS * 1e6:
            step = ns
        counts[step] += 1
    return counts


def interpolated_median(samples: list[float]) -> float:
    """The median of samples grouped on a clock's steps, read as spread evenly over its step's width: it moves
    with the share of the samples on each side of the median's step, so it too resolves below a step."""
    width, below, half = resolution(samples), 0, len(samples) / 2
    for ns, count in sorted(step_counts(samples).items()):
        if below + count >= half:
            return ns * 1e-6 + width * ((half - below) / count - 0.5)
        below += count
    raise ValueError("no samples")


def commonest(samples: list[float], top: int = 3) -> str:
    """The commonest steps and their shares."""
    return ", ".join(f"{ns} ns {100 * n / len(samples):.0f}%" for ns, n in step_counts(samples).most_common(top))


def spread(values: list[float]) -> float:
    return max(values) / min(values) - 1


def render(results: list[dict]) -> None:
    estimates = {"median": lambda s: median_ci(s)[0], "near-median mean": near_median_mean,
                 "interpolated median": interpolated_median}
    print("process | model | calls | median ns | near-median mean ns | commonest spans")
    for p, result in enumerate(results):
        for role, samples in result.items():
            print(f"{p} | {role} | {len(samples)} | {median_ci(samples)[0] * 1e6:.1f} | "
                  f"{near_median_mean(samples) * 1e6:.1f} | {commonest(samples)}")
    print("\nestimate | reference spread | solution spread | speedup spread (over the processes)")
    for name, estimate in estimates.items():
        ref = [estimate(r["reference"]) for r in results]
        sol = [estimate(r["solution"]) for r in results]
        print(f"{name} | {100 * spread(ref):.2f}% | {100 * spread(sol):.2f}% | "
              f"{100 * spread([a / b for a, b in zip(ref, sol)]):.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--case", choices=sorted(CASES), default="launch")
    parser.add_argument("--render", type=Path, help="only print the tables of a saved steps.json")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        render(json.loads(args.render.read_text()))
        return
    if args.child is not None:
        print(json.dumps(child(CASES[args.case], args.child)))
        return
    if args.out is None:
        parser.error("--out is required (or --render a saved steps.json)")
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for p in range(args.processes):
        done = subprocess.run([sys.executable, __file__, "--case", args.case, "--child", str(p)],
                              capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            sys.exit(f"process {p} failed: {done.stderr[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (args.out / "steps.json").write_text(json.dumps(results))
    render(results)


if __name__ == "__main__":
    main()
