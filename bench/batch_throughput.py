"""Samples graded per minute: this grader's batch mode, one `kb grade` at a time, and KernelBench's own eval.

    python bench/batch_throughput.py --device cuda --kernelbench ~/KernelBench --out results/batch
    python bench/batch_throughput.py --device cpu

The corpus is made from the shipped solutions that run on the device (inline CUDA and Triton on a GPU, C++ on
the CPU): for each, two honest samples (the file
with a comment of its own), one wrong (its outputs scaled by 1.01), and one that crashes (SIGSEGV in forward) or
fails to build (a C++ syntax error), alternately: a quarter to a half of the samples fail. Every sample is built
into one cache first (warm builds), then graded
  (a) by grade_batch, the engine under `kb grade` with many files and `kb-sweep`, on every sample;
  (b) by `kb grade FILE --json`, one process tree at a time, on a subset (--compare: one sample of each kind of
      several problems), whose verdicts must agree with (a)'s: the same status, and speedups whose intervals
      overlap;
  (c) on CUDA with --kernelbench (a KernelBench checkout, never vendored): its eval_kernel_against_ref in a loop
      in one process, on the same subset, after one untimed pass that builds (its builds are warm too).
On CUDA, nvidia-smi's utilization is sampled every 200 ms during (a): the share of samples with a kernel running.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import GradeConfig, Verdict, build
from harness.parent.batch import BatchOptions, Job, grade_batch

ROOT = Path(__file__).resolve().parent.parent

WRONG = '''

_computed = ModelNew.forward


def _scaled(self, *args):  # a wrong sample: every output 1% off
    out = _computed(self, *args)
    return out * 1.01 if isinstance(out, torch.Tensor) else out


ModelNew.forward = _scaled
'''
CRASH = '''


def _segfaults(self, *args):  # a crashing sample
    import ctypes
    ctypes.string_at(0)


ModelNew.forward = _segfaults
'''
BUILD_FAILS = '''

from torch.utils.cpp_extension import load_inline as _load_inline
_load_inline(name="broken_{tag}", cpp_sources="int broken( {{", functions=[])  # a sample that fails to build
'''


def corpus(device: str, folder: Path) -> list[Job]:
    """Four samples per shipped solution that runs on `device`, each its own file, in problem order."""
    jobs: list[Job] = []
    for solution in sorted(ROOT.glob("solutions/level*/*.py")):
        source = solution.read_text()
        on_gpu = "cuda_sources" in source or "import triton" in source
        if (device == "cpu") == on_gpu:
            continue
        problem = ROOT / "problems" / solution.parent.name / solution.name
        tag = f"{solution.parent.name}_{solution.stem}"
        failing = CRASH if len(jobs) % 8 == 0 else BUILD_FAILS.format(tag=tag)
        for kind, text in (("honest", "\n# sample 0\n"), ("honest", "\n# sample 1\n"), ("wrong", WRONG),
                           ("crash" if failing is CRASH else "build", failing)):
            path = folder / f"{tag}__{len(jobs)}_{kind}.py"
            path.write_text(source + text)
            jobs.append(Job(len(jobs), path, problem))
    return jobs


def kind_of(job: Job) -> str:
    return job.solution.stem.rsplit("_", 1)[1]


class GpuSampler:
    """nvidia-smi's utilization.gpu every 200 ms, in the background."""

    def __init__(self, enabled: bool):
        self.proc = None
        if enabled:
            self.proc = subprocess.Popen(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                                          "-lms", "200"], stdout=subprocess.PIPE, text=True)

    def busy(self) -> float | None:
        """The share of samples in which a kernel ran."""
        if self.proc is None:
            return None
        self.proc.terminate()
        values = [int(v) for v in self.proc.communicate()[0].split() if v.strip().isdigit()]
        return sum(v > 0 for v in values) / len(values) if values else None


def batch(jobs: list[Job], config: GradeConfig, at_once: int) -> tuple[dict[int, Verdict], float, float | None]:
    verdicts: dict[int, Verdict] = {}
    sampler = GpuSampler(config.device == "cuda")
    started = time.monotonic()
    def record(job: Job, verdict: Verdict, _: str | None) -> None:
        verdicts[job.index] = verdict
        print(f"  {time.monotonic() - started:6.1f} s  {verdict.status.value:<14} {job.solution.stem}", file=sys.stderr)

    grade_batch(jobs, config, record, BatchOptions(grades_at_once=at_once))
    return verdicts, time.monotonic() - started, sampler.busy()


def one_at_a_time(jobs: list[Job], config: GradeConfig, cache: Path) -> tuple[dict[int, dict], float]:
    verdicts: dict[int, dict] = {}
    started = time.monotonic()
    for job in jobs:
        done = subprocess.run([sys.executable, "-m", "harness", "grade", str(job.solution), "--problem",
                               str(job.problem), "--device", config.device, "--cache-dir", str(cache), "--json"],
                              capture_output=True, text=True)
        verdicts[job.index] = json.loads(done.stdout)  # one verdict, as one (indented) JSON object
    return verdicts, time.monotonic() - started


def kernelbench(jobs: list[Job], checkout: Path, build_root: Path) -> tuple[dict[int, str], float]:
    """KernelBench's eval_kernel_against_ref over the jobs in this process, as its eval scripts call it; the
    first pass builds, the second is timed. Its package __init__ (which patches torch.randn) is not run."""
    package = types.ModuleType("kernelbench")
    package.__path__ = [str(checkout / "src" / "kernelbench")]
    sys.modules["kernelbench"] = package
    from kernelbench.eval import eval_kernel_against_ref  # noqa: E402 (the checkout is only known now)

    def run_all() -> dict[int, str]:
        outcomes = {}
        for job in jobs:
            try:
                result = eval_kernel_against_ref(job.problem.read_text(), job.solution.read_text(), seed_num=42,
                                                 num_correct_trials=5, num_perf_trials=100, measure_performance=True,
                                                 build_dir=build_root / job.solution.stem)
                outcomes[job.index] = ("crashed" if result is None else
                                       "pass" if result.correctness else
                                       "compile_error" if not result.compiled else "incorrect")
            except Exception as exc:  # its own exceptions escape for some failures
                outcomes[job.index] = f"raised {type(exc).__name__}"
        return outcomes

    run_all()
    started = time.monotonic()
    outcomes = run_all()
    return outcomes, time.monotonic() - started


def agree(a: Verdict, b: dict) -> str:
    """'' where (a) and (b) agree: the same status and, for passes, speedup intervals that overlap."""
    if a.status.value != b["status"]:
        return f"status {a.status.value} vs {b['status']}"
    if a.status.value != "pass" or a.speedup_ci is None or b.get("speedup_ci") is None:
        return ""
    (lo_a, hi_a), (lo_b, hi_b) = a.speedup_ci, b["speedup_ci"]
    return "" if lo_a <= hi_b and lo_b <= hi_a else f"speedups {a.speedup:.3g} vs {b['speedup']:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compare", type=int, default=12, help="samples graded by (b) and (c) too")
    parser.add_argument("--at-once", type=int, default=0, help="grades in flight per device (0: the default)")
    parser.add_argument("--kernelbench", type=Path, help="a KernelBench checkout, for (c) (CUDA only)")
    parser.add_argument("--kernelbench-samples", type=int, default=4,
                        help="of the subset, how many (c) grades (its first pass builds each, one at a time)")
    parser.add_argument("--out", type=Path, help="write every verdict here as JSONL")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kb-bench-batch-") as tmp:
        folder, cache = Path(tmp) / "samples", Path(tmp) / "cache"
        folder.mkdir()
        jobs = corpus(args.device, folder)
        config = GradeConfig(device=args.device, cache_dir=cache)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8 if args.device == "cuda" else 2) as pool:
            list(pool.map(lambda job: build(job.solution, config, problem=job.problem), jobs))
        print(f"{len(jobs)} samples of {len({j.problem for j in jobs})} problems on {args.device} "
              f"({sum(kind_of(j) != 'honest' for j in jobs)} wrong, crashing or failing to build); "
              f"built in {time.monotonic() - started:.0f} s")

        verdicts, wall_a, busy = batch(jobs, config, args.at_once)
        subset = [j for j in jobs if j.index % 4 == (j.index // 4) % 4][:args.compare]
        singles, wall_b = one_at_a_time(subset, config, cache)
        rows = [("(a) batch", len(jobs), wall_a), ("(b) one kb grade at a time", len(subset), wall_b)]
        outcomes: dict[int, str] = {}
        if args.kernelbench and args.device == "cuda":
            chosen = subset[:args.kernelbench_samples]
            outcomes, wall_c = kernelbench(chosen, args.kernelbench.resolve(), Path(tmp) / "kernelbench-builds")
            rows.append(("(c) KernelBench eval_kernel_against_ref", len(chosen), wall_c))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            with open(args.out / "batch-verdicts.jsonl", "w") as f:
                for job in jobs:
                    f.write(json.dumps({"sample": job.solution.name, "batch": verdicts[job.index].to_dict(),
                                        "single": singles.get(job.index), "kernelbench": outcomes.get(job.index)},
                                       default=str) + "\n")

        print(f"\n{'sample':<48} {'(a) batch':<22} {'(b) single':<22} {'(c) KernelBench':<16} agree")
        disagreements = 0
        for job in subset:
            a, b = verdicts[job.index], singles[job.index]
            problem = agree(a, b)
            disagreements += bool(problem)
            show = f"{a.status.value} {a.speedup:.3g}x" if a.speedup else a.status.value
            show_b = f"{b['status']} {b['speedup']:.3g}x" if b.get("speedup") else b["status"]
            print(f"{job.solution.stem:<48} {show:<22} {show_b:<22} {outcomes.get(job.index, '-'):<16} "
                  f"{problem or 'yes'}")
        statuses = {}
        for verdict in verdicts.values():
            statuses[verdict.status.value] = statuses.get(verdict.status.value, 0) + 1
        print(f"\n(a)'s statuses: {statuses}; (a) and (b) disagree on {disagreements} of {len(subset)}")
        if busy is not None:
            print(f"GPU busy (a kernel running) in {busy:.0%} of nvidia-smi's samples during (a)")
        print(f"\n{'run':<42} {'samples':>8} {'wall s':>8} {'samples/min':>12} {'(a) is':>8}")
        rate_a = 60 * len(jobs) / wall_a
        for name, count, wall in rows:
            rate = 60 * count / wall
            print(f"{name:<42} {count:>8} {wall:>8.1f} {rate:>12.1f} {rate_a / rate:>7.1f}x")


if __name__ == "__main__":
    main()
