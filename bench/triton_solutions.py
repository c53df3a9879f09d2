"""Grade every shipped Triton solution on a GPU, and show that Triton's compile and autotune stay out of the timing.

    python3 bench/triton_solutions.py --out triton.json            # on the GPU machine, from the repository root

Three sections, each printed as it finishes:

1. the machine: card, driver, torch, Triton, CUDA, the date and the command;
2. every solution under solutions/ that imports Triton, graded on CUDA from a Triton cache of its own that no
   earlier run filled (a fresh --cache-dir): status, speedup and its 95% interval, the medians, and what Triton did
   in each stage (compiled in the build process, autotuned on the first checked call; nothing in the timed calls);
3. the autotuned matmul (solutions/level1/4_Matmul_transposed_B.py) twice more: its first forward in a process of its
   own with a cold Triton cache, timed by hand (seconds: compiles and benchmarks every config) against its next
   calls (milliseconds), and a re-grade from the cache the first grade filled, which compiles nothing.

`--out` writes every verdict (harness.Verdict.to_dict) and the by-hand times as JSON, for docs/record/.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import Status, Verdict, grade  # noqa: E402  (after the path: the checkout's harness)

AUTOTUNED = ROOT / "solutions" / "level1" / "4_Matmul_transposed_B.py"

FIRST_CALL = """
import json, os, sys, time, torch
sys.path.insert(0, sys.argv[1])
from harness.child.problem import load_module, load_problem
problem = load_problem(__import__("pathlib").Path(sys.argv[3]))
module = load_module(__import__("pathlib").Path(sys.argv[2]), "solution")
torch.manual_seed(0)
model = module.ModelNew(*problem.get_init_inputs()).cuda()
inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
times = []
for _ in range(6):
    torch.cuda.synchronize()
    started = time.perf_counter()
    model(*inputs)
    torch.cuda.synchronize()
    times.append(time.perf_counter() - started)
print(json.dumps({"first_call_s": times[0], "next_calls_ms": [t * 1e3 for t in times[1:]]}))
"""


def triton_solutions() -> list[Path]:
    return sorted(p for p in (ROOT / "solutions").glob("*/*.py") if "import triton" in p.read_text())


def machine() -> dict[str, str]:
    import torch
    import triton

    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip().splitlines()
    card, _, driver = (smi[0] if smi else "?, ?").partition(", ")
    return {"card": card, "driver": driver, "torch": torch.__version__, "cuda": str(torch.version.cuda),
            "triton": triton.__version__, "date": datetime.date.today().isoformat(),
            "command": "python3 " + " ".join(shlex.quote(a) for a in sys.argv)}


def stages(verdict: Verdict) -> str:
    """'build: compiled 6 (14.2 s); trials: loaded 6 (0.1 s), autotuned 2.3 s' from the verdict's Triton events."""
    triton = verdict.build.triton if verdict.build else None
    if triton is None:
        return "no Triton events"
    said = []
    for stage in dict.fromkeys(e.stage for e in triton.events):
        parts = []
        for action in ("compiled", "loaded", "autotuned"):
            done = [e for e in triton.events if e.stage == stage and e.action == action]
            if done:
                parts.append(f"{action} {len(done)} ({sum(e.seconds for e in done):.1f} s)")
        said.append(f"{stage}: {', '.join(parts)}")
    return "; ".join(said)


def row(name: str, verdict: Verdict) -> str:
    if verdict.status is not Status.PASS or verdict.speedup_ci is None:
        return f"{name:<40} {verdict.status.value:<14} {verdict.reason[:150]}"
    lo, hi = verdict.speedup_ci
    surely = "faster" if lo > 1 else ("slower" if hi < 1 else "undecided")
    return (f"{name:<40} {verdict.speedup:6.3f}x [{lo:.3f}, {hi:.3f}] {surely:<9}  ref {verdict.ref_ms:.4g} ms  "
            f"sol {verdict.sol_ms:.4g} ms  | {stages(verdict)}")


def first_call(solution: Path, problem: Path) -> dict:
    """The solution's first forward and its next five, timed by hand in a process of its own, cold Triton cache."""
    with tempfile.TemporaryDirectory() as cold:
        env = dict(os.environ, TRITON_CACHE_DIR=cold)
        done = subprocess.run([sys.executable, "-c", FIRST_CALL, str(ROOT), str(solution), str(problem)],
                              capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--cache-dir", type=Path, help="the grades' build cache (default: a fresh temporary one, so "
                                                        "every Triton kernel compiles in this run)")
    parser.add_argument("--timing", default="default", choices=["quick", "default", "precise"])
    parser.add_argument("--out", type=Path, help="write the verdicts and the by-hand times here (JSON)")
    args = parser.parse_args()
    about = machine()
    for key, value in about.items():
        print(f"{key:<8} {value}")
    with tempfile.TemporaryDirectory() as fresh:
        cache = args.cache_dir or Path(fresh)
        print(f"\n== every Triton solution, graded on CUDA (timing {args.timing}, cache {cache})")
        verdicts = {}
        for solution in triton_solutions():
            name = solution.relative_to(ROOT / "solutions").as_posix()
            verdicts[name] = grade(solution, device="cuda", cache_dir=cache, timing=args.timing)
            print(row(name, verdicts[name]), flush=True)
        faster = [n for n, v in verdicts.items() if v.speedup_ci and v.speedup_ci[0] > 1]
        print(f"{len(faster)} of {len(verdicts)} surely faster than eager PyTorch (whole interval above 1)")
        timed = [n for n, v in verdicts.items() if v.build and v.build.triton and
                 any(e.stage == "timed calls" for e in v.build.triton.events)]
        print(f"Triton compiled or tuned during timed calls: {', '.join(timed) or 'never'}")

        print(f"\n== {AUTOTUNED.relative_to(ROOT)}: the first call against the timed ones")
        problem = ROOT / "problems" / AUTOTUNED.relative_to(ROOT / "solutions")
        by_hand = first_call(AUTOTUNED, problem)
        if "error" in by_hand:
            print(f"by hand: could not run: {by_hand['error']}")
        else:
            later = sorted(by_hand["next_calls_ms"])
            print(f"by hand, cold Triton cache: first forward {by_hand['first_call_s']:.2f} s, the next five "
                  f"{later[0]:.3g}-{later[-1]:.3g} ms")
        again = grade(AUTOTUNED, device="cuda", cache_dir=cache, timing=args.timing)
        print("graded again, warm cache: " + row(AUTOTUNED.relative_to(ROOT / "solutions").as_posix(), again))
        first = verdicts.get(AUTOTUNED.relative_to(ROOT / "solutions").as_posix())
        if first is not None and first.sol_timing is not None:
            print(f"first grade: solution median {first.sol_ms:.4g} ms over {first.sol_timing.calls} timed calls; "
                  f"its Triton work, none of it timed: {stages(first)}")
    if args.out:
        record = {"machine": about, "verdicts": {name: v.to_dict() for name, v in verdicts.items()},
                  "autotuned": {"by_hand": by_hand, "regrade": again.to_dict()}}
        args.out.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return 0 if all(v.status is Status.PASS for v in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
