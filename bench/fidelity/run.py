"""Timing fidelity on the GPU: how stable, how accurate and how costly the grader's timer is (issue 6).

    python bench/fidelity/run.py --out DIR [--repeats 5] [--sections fidelity,profiles,graph,ncu] [--cases conv,16M]
        [--profiles quick,precise]

fidelity  each case graded `--repeats` times, each grade an independent `kb grade` process: spread
          (max/min) of the solution's median and of the speedup, wall time and timing-loop time per grade,
          and the most either model's loops ran with the card at its power limit (harness.child.powerlimit)
profiles  the short memory-bound case (or the --cases given) under the --profiles (default: quick and
          precise; default itself comes from fidelity)
graph     the launch-bound case timed eagerly and as a CUDA-graph replay, in one process, same timer
ncu       Nsight Compute's kernel duration (--clock-control none) against the grader's median, as measured
          and less the empty call's time (the timer's own cost, which the grader reports and does not subtract)

The side-stream case is a fidelity case: the same ReLU launched on a stream the timer's events are not
on must measure what the current-stream ReLU measures. Prints a table last; writes results.json and
results.md under --out; sections run by later calls with the same --out add to the same results.json.
Needs a CUDA GPU; builds go to $KB_CACHE_DIR.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
from harness.common.settings import TIMING_PROFILES  # noqa: E402  (no torch: the parent side needs none)
PROBLEMS = ROOT / "problems"
CASES = {  # name: (solution, problem, kernel-name pattern for ncu)
    "launch-bound relu (64K)": (HERE / "relu_current_stream.py", HERE / "problems" / "relu_launch.py", "fidelity_relu"),
    "short memory-bound relu (16M)": (HERE / "relu_current_stream.py", HERE / "problems" / "relu_short.py",
                                      "fidelity_relu"),
    "memory-bound relu (128M)": (HERE / "relu_current_stream.py", HERE / "problems" / "relu_memory.py",
                                 "fidelity_relu"),
    "same relu on a side stream": (HERE / "relu_side_stream.py", HERE / "problems" / "relu_memory.py",
                                   "fidelity_relu"),
    "compute-bound matmul (4096)": (ROOT / "solutions" / "level1" / "82_Square_matmul.py",
                                    PROBLEMS / "level1" / "82_Square_matmul.py", "sgemm|matmul"),
    "seed's conv": (ROOT / "solutions" / "level1" / "56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py",
                    PROBLEMS / "level1" / "56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py",
                    "conv2d_direct"),
}
COPY_CASE = "memory-bound relu (128M)"
COPY_BYTES = 2 * (1 << 27) * 4  # reads 512 MiB, writes 512 MiB


def kb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=ROOT)


def grade_once(solution: Path, problem: Path, timing: str) -> dict:
    started = time.monotonic()
    # Timing is what is measured here: one trial, one spot check, no profiler, no other sizes.
    done = kb("grade", str(solution), "--problem", str(problem), "--device", "cuda", "--json", "--timing", timing,
              "--trials", "1", "--spot-checks", "1", "--no-provenance", "--generalization", "off")
    wall = time.monotonic() - started
    verdict = json.loads(done.stdout)
    timings = [verdict.get(k) or {} for k in ("ref_timing", "sol_timing")]
    return {"status": verdict["status"], "reason": verdict["reason"], "sol_ms": verdict["sol_ms"],
            "ref_ms": verdict["ref_ms"], "speedup": verdict["speedup"], "speedup_ci": verdict.get("speedup_ci"),
            "wall_s": round(wall, 2),
            "timing_loops_s": round(sum(t.get("seconds", 0) for t in timings), 2),
            "calls": [t.get("calls") for t in timings], "ref_loops": timings[0].get("loops"),
            "sol_loops": timings[1].get("loops"), "disturbed": any(t.get("disturbed") for t in timings),
            "empty_call_ms": timings[1].get("empty_call_ms"), "stages": verdict.get("stages"),
            "clock": timings[1].get("clock"), "clock_note": timings[1].get("clock_note"),
            "ref_event_ms": timings[0].get("event_median_ms"), "sol_event_ms": timings[1].get("event_median_ms"),
            "ref_power_limited": timings[0].get("power_limited"), "sol_power_limited": timings[1].get("power_limited")}


def spread(values: list[float]) -> float | None:
    values = [v for v in values if v]
    return max(values) / min(values) - 1 if values else None


def mean_deviation(values: list[float]) -> float | None:
    """Mean of |value / median - 1|: unlike the spread, no single grade decides it."""
    values = [v for v in values if v]
    if not values:
        return None
    middle = statistics.median(values)
    return statistics.mean(abs(v / middle - 1) for v in values)


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["status"] == "pass"]
    return {"passed": f"{len(ok)}/{len(runs)}",
            "sol_ms_median": statistics.median(r["sol_ms"] for r in ok) if ok else None,
            "sol_ms_spread": spread([r["sol_ms"] for r in ok]),
            "ref_ms_spread": spread([r["ref_ms"] for r in ok]),
            "empty_call_ms_median": statistics.median(r["empty_call_ms"] for r in ok) if ok else None,
            "speedup_median": statistics.median(r["speedup"] for r in ok) if ok else None,
            "clocks": sorted({str(r.get("clock")) for r in ok}),
            "sol_event_ms_median": statistics.median(r["sol_event_ms"] for r in ok if r.get("sol_event_ms"))
            if any(r.get("sol_event_ms") for r in ok) else None,
            "event_speedup_spread": spread([r["ref_event_ms"] / r["sol_event_ms"] for r in ok
                                            if r.get("ref_event_ms") and r.get("sol_event_ms")]),
            "speedup_spread": spread([r["speedup"] for r in ok]),
            "speedup_mean_deviation": mean_deviation([r["speedup"] for r in ok]),
            **intervals([r.get("speedup_ci") for r in ok]),
            "retimed": sum(len(r["ref_loops"] or []) > 2 or len(r["sol_loops"] or []) > 1 for r in ok),
            "disturbed": sum(bool(r["disturbed"]) for r in ok),
            "power_limited": [_most(r.get(f"{who}_power_limited") for r in ok) for who in ("ref", "sol")],
            "wall_s_median": statistics.median(r["wall_s"] for r in runs),
            "timing_loops_s_median": statistics.median(r["timing_loops_s"] for r in runs)}


def intervals(cis: list) -> dict:
    """The grades' speedup intervals: their median width (hi / lo - 1), and whether one speedup lies in all of
    them (the grades agree within what each says it knows); None where a grade has none."""
    if not cis or any(not ci for ci in cis):
        return {"speedup_ci_width": None, "speedup_cis_meet": None}
    return {"speedup_ci_width": statistics.median(hi / lo - 1 for lo, hi in cis),
            "speedup_cis_meet": max(lo for lo, _ in cis) <= min(hi for _, hi in cis)}


def _most(shares) -> float | None:
    """The largest share of a loop's time at the card's power limit over the grades, None where never counted."""
    counted = [share for share in shares if share is not None]
    return max(counted) if counted else None


def run_fidelity(cases: dict, repeats: int, timing: str) -> dict:
    results = {}
    for name, (solution, problem, _) in cases.items():
        if not solution.exists() or not problem.exists():
            results[name] = {"skipped": f"missing {solution if not solution.exists() else problem}"}
            continue
        runs = [grade_once(solution, problem, timing) for _ in range(repeats)]
        results[name] = {"runs": runs, **summarize(runs)}
        print(f"  {name} [{timing}]: {results[name]['passed']} passed, sol spread "
              f"{_pct(results[name]['sol_ms_spread'])}, speedup spread {_pct(results[name]['speedup_spread'])}",
              file=sys.stderr)
    return results


def run_graph(solution: Path, problem: Path) -> dict:
    """Eager vs CUDA-graph replay of the same forward, timed by the grader's own timer in one process."""
    code = f"""
import json, sys, torch
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from harness.child import timing
from harness.child.buildcache import ExtensionCache
from harness.child.problem import load_module, load_problem
from harness.common import stats
from harness.common.settings import default_cache_dir
ExtensionCache(default_cache_dir(), None, cuda_available=True).install()
problem = load_problem(Path({str(problem)!r}))
model = load_module(Path({str(solution)!r}), "sol").ModelNew().cuda()
torch.manual_seed(0)
x = problem.get_inputs()[0].cuda()
device = torch.device("cuda")
def both(report):
    by_spans = stats.alone([report])
    return stats.timing_of([report]).median_ms, by_spans.median_ms if by_spans.clock == stats.SPAN_CLOCK else None
eager = timing.measure(lambda: model(x), device)
stream = torch.cuda.Stream()
with torch.cuda.stream(stream):
    model(x)
torch.cuda.synchronize()
graph = torch.cuda.CUDAGraph()
with torch.cuda.graph(graph):
    model(x)
graphed = timing.measure(graph.replay, device)
(eager_ms, eager_span_ms), (graph_ms, graph_span_ms) = both(eager), both(graphed)
print(json.dumps({{"eager_ms": eager_ms, "graph_ms": graph_ms, "eager_span_ms": eager_span_ms,
                   "graph_span_ms": graph_span_ms, "empty_call_ms": eager["empty_call_ms"]}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


_NCU_TARGET = """
import sys, torch
sys.path.insert(0, {root!r})
from pathlib import Path
from harness.child.buildcache import ExtensionCache
from harness.child.problem import load_module, load_problem
from harness.common.settings import default_cache_dir
ExtensionCache(default_cache_dir(), None, cuda_available=True).install()
problem = load_problem(Path({problem!r}))
torch.manual_seed(0)
model = load_module(Path({solution!r}), "sol").ModelNew(*problem.get_init_inputs()).cuda()
inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
with torch.no_grad():
    for _ in range(5):
        model(*inputs)
torch.cuda.synchronize()
"""


def run_ncu(cases: dict, grader: dict) -> dict:
    """Nsight Compute's duration of the solution's kernel (median of 5 launches) against the grader's median.

    The profiled script is passed with -c, not written beside the results: a GPU call brings back only a
    few files, and a record with ncu's target scripts beside it did not come back."""
    ncu = shutil.which("ncu")
    if ncu is None:
        return {"error": "ncu not found"}
    if not any(grader.get(name, {}).get("sol_ms_median") for name in cases):
        return {"error": "no grader medians to compare with: run the fidelity section first, with the same --out"}
    results = {}
    for name, (solution, problem, pattern) in cases.items():
        summary = grader.get(name, {})
        if not summary.get("sol_ms_median"):
            continue
        target = _NCU_TARGET.format(root=str(ROOT), problem=str(problem), solution=str(solution))
        done = subprocess.run([ncu, "--clock-control", "none", "--csv", "--metrics", "gpu__time_duration.sum",
                               "--kernel-name", f"regex:{pattern}", sys.executable, "-c", target],
                              capture_output=True, text=True, cwd=ROOT)
        durations = _ncu_durations_ms(done.stdout)
        if not durations:
            results[name] = {"error": (done.stdout + done.stderr)[-1500:]}
            continue
        ncu_ms = statistics.median(durations)
        empty = summary.get("empty_call_ms_median") or 0.0
        results[name] = {"ncu_ms": ncu_ms, "grader_ms": summary["sol_ms_median"],
                         "grader_over_ncu": summary["sol_ms_median"] / ncu_ms, "launches": len(durations),
                         "empty_call_ms": empty, "less_empty_over_ncu": (summary["sol_ms_median"] - empty) / ncu_ms}
    return results


def _ncu_durations_ms(text: str) -> list[float]:
    rows = [line for line in text.splitlines() if line.startswith('"')]
    durations = []
    for row in csv.DictReader(io.StringIO("\n".join(rows))):
        if row.get("Metric Name") == "gpu__time_duration.sum":
            value = float(row["Metric Value"].replace(",", ""))
            unit = row.get("Metric Unit", "nsecond")
            durations.append(value * {"nsecond": 1e-6, "usecond": 1e-3, "msecond": 1.0}.get(unit, 1e-6))
    return durations


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def render(results: dict) -> str:
    lines = ["| case | passed | clock | sol ms (median) | sol spread | ref spread | speedup | speedup spread | mean "
             "deviation | speedup interval (median width, all meet) | sol ms by events | speedup spread by events | "
             "empty call ms | retimed | disturbed | at power limit (ref, sol) | wall s | timing s |", "|---" * 18 + "|"]
    for name, r in results.get("fidelity", {}).items():
        if "skipped" in r:
            lines.append(f"| {name} | skipped: {r['skipped']} |||||||||||||||||")
            continue
        lines.append(f"| {name} | {r['passed']} | {', '.join(r.get('clocks', []))} | {_ms(r['sol_ms_median'])} | "
                     f"{_pct(r['sol_ms_spread'])} | "
                     f"{_pct(r.get('ref_ms_spread'))} | {_ms(r['speedup_median'])} | {_pct(r['speedup_spread'])} | "
                     f"{_pct(r.get('speedup_mean_deviation'))} | {_pct(r.get('speedup_ci_width'))}, "
                     f"{_yes_no(r.get('speedup_cis_meet'))} | "
                     f"{_ms(r.get('sol_event_ms_median'))} | "
                     f"{_pct(r.get('event_speedup_spread'))} | {_ms(r.get('empty_call_ms_median'))} | "
                     f"{r.get('retimed', '-')} | {r.get('disturbed', '-')} | "
                     f"{', '.join(_pct(share) for share in r.get('power_limited', [None, None]))} | "
                     f"{r['wall_s_median']} | "
                     f"{r['timing_loops_s_median']} |")
    fid = results.get("fidelity", {})
    if fid.get(COPY_CASE, {}).get("sol_ms_median"):
        bandwidth = COPY_BYTES / (fid[COPY_CASE]["sol_ms_median"] * 1e-3) / 1e12
        lines += ["", f"Copy-like kernel ({COPY_CASE}): {COPY_BYTES / 2**30:.0f} GiB moved in "
                      f"{fid[COPY_CASE]['sol_ms_median']:.4g} ms = {bandwidth:.2f} TB/s"]
    side, current = fid.get("same relu on a side stream", {}), fid.get(COPY_CASE, {})
    if side.get("sol_ms_median") and current.get("sol_ms_median"):
        lines.append(f"Side stream / current stream time: {side['sol_ms_median'] / current['sol_ms_median']:.3f}")
    for profile, by_case in results.get("profiles", {}).items():
        for name, r in by_case.items():
            if "runs" in r:
                lines.append(f"Profile {profile}, {name}: speedup spread {_pct(r['speedup_spread'])}, sol spread "
                             f"{_pct(r['sol_ms_spread'])}, ref spread {_pct(r['ref_ms_spread'])}, at power limit "
                             f"(ref, sol) {', '.join(_pct(x) for x in r['power_limited'])}, wall "
                             f"{r['wall_s_median']} s, timing loops {r['timing_loops_s_median']} s")
    graph = results.get("graph")
    if graph and "eager_ms" in graph:
        spans = (f"; device spans: eager {_ms(graph.get('eager_span_ms'))} ms, CUDA graph "
                 f"{_ms(graph.get('graph_span_ms'))} ms")
        lines.append(f"Launch-bound relu, by CUDA events: eager {graph['eager_ms'] * 1e3:.2f} µs, CUDA graph "
                     f"{graph['graph_ms'] * 1e3:.2f} µs{spans}")
    for name, r in results.get("ncu", {}).items():
        if name == "error":  # the section as a whole could not run
            lines.append(f"ncu: {r}")
        elif "ncu_ms" in r:
            lines.append(f"ncu {name}: kernel {r['ncu_ms']:.4g} ms, grader {r['grader_ms']:.4g} ms, "
                         f"grader/ncu {r['grader_over_ncu']:.4f}, (grader - empty call)/ncu "
                         f"{r.get('less_empty_over_ncu', float('nan')):.4f}")
        else:
            lines.append(f"ncu {name}: {r.get('error', '')[-300:]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sections", default="fidelity,profiles,graph,ncu")
    parser.add_argument("--cases", help="only the cases whose names contain one of these, comma-separated (the "
                        "graph section always times the launch-bound case; profiles, without it, the short one)")
    parser.add_argument("--profiles", default="quick,precise", help="the timing profiles of the profiles section")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    unknown = set(profiles) - set(TIMING_PROFILES)
    if unknown:
        parser.error(f"unknown timing profiles {sorted(unknown)}: choose from {sorted(TIMING_PROFILES)}")
    cases = {name: case for name, case in CASES.items()
             if not args.cases or any(part in name for part in args.cases.split(","))}
    sections = set(args.sections.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    # Warm the build cache, all at once: the grades below time, never compile.
    kb("build", "--device", "cuda", "--jobs", "4",
       *sorted({str(solution) for solution, problem, _ in cases.values() if solution.exists() and problem.exists()}))
    saved = args.out / "results.json"  # sections run in separate calls add to one record
    results: dict = json.loads(saved.read_text()) if saved.exists() else {}
    results.setdefault("started", time.strftime("%Y-%m-%d %H:%M:%S"))
    results["repeats"] = args.repeats

    def keep() -> None:  # after every section: a run cut short by a time limit still leaves what it measured
        saved.write_text(json.dumps(results, indent=1))

    if "fidelity" in sections:
        results["fidelity"] = run_fidelity(cases, args.repeats, "default")
        keep()
    if "graph" in sections:
        solution, problem, _ = CASES["launch-bound relu (64K)"]
        results["graph"] = run_graph(solution, problem)
        keep()
    if "ncu" in sections:
        results["ncu"] = run_ncu({k: v for k, v in cases.items() if "launch" not in k}, results.get("fidelity", {}))
        keep()
    if "profiles" in sections:
        chosen = cases if args.cases else {k: v for k, v in cases.items() if k.startswith("short")}
        for profile in profiles:
            results.setdefault("profiles", {}).setdefault(profile, {}).update(
                run_fidelity(chosen, args.repeats, profile))
            keep()
    table = render(results)
    (args.out / "results.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
