"""Wall time of a cold grade and of cached re-grades, and the grader's own overhead.

overhead = wall time of `kb grade` - compiling - timed work (reference + solution timing loops)

It is what the grader adds: process starts, imports, oracle and trials, moving
outputs between processes. Targets (issue 2): a cached re-grade of a small CPU
solution under 10 s on the 2-core machine; under 3 s of overhead per grade on the GPU.

    python bench/grade_overhead.py --device cpu
    python bench/grade_overhead.py --device cuda --solution tests/fixtures/cuda/relu_cuda.py
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grade_once(solution: Path, problem: Path, device: str, cache: Path) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness.cli", "grade", str(solution), "--problem", str(problem),
                           "--device", device, "--json", "--cache-dir", str(cache)],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - started
    verdict = json.loads(done.stdout)
    if verdict["status"] != "pass":
        sys.exit(f"{solution} did not pass: {verdict['reason']}")
    compiling = sum(e["seconds"] for e in verdict["build"]["extensions"] if not e["cached"])
    timed = sum(verdict[t]["seconds"] for t in ("ref_timing", "sol_timing"))
    return {"wall": wall, "compile": compiling, "timed": timed, "overhead": wall - compiling - timed,
            "speedup": verdict["speedup"], "device": verdict["device"], "stages": verdict["stages"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--solution", type=Path, default=ROOT / "solutions" / "level1" / "19_ReLU.py")
    parser.add_argument("--problem", type=Path, default=ROOT / "problems" / "level1" / "19_ReLU.py")
    parser.add_argument("--regrades", type=int, default=3)
    args = parser.parse_args()
    args.solution, args.problem = args.solution.resolve(), args.problem.resolve()

    with tempfile.TemporaryDirectory(prefix="kb-bench-cache-") as cache:
        rows = [("cold", grade_once(args.solution, args.problem, args.device, Path(cache)))]
        rows += [(f"cached {i + 1}", grade_once(args.solution, args.problem, args.device, Path(cache)))
                 for i in range(args.regrades)]
    print(f"solution {args.solution.relative_to(ROOT)} on {rows[0][1]['device']}")
    print(f"{'grade':<10} {'wall s':>8} {'compile s':>10} {'timed s':>8} {'overhead s':>11} {'speedup':>8}")
    for label, r in rows:
        print(f"{label:<10} {r['wall']:>8.2f} {r['compile']:>10.2f} {r['timed']:>8.2f} {r['overhead']:>11.2f} "
              f"{r['speedup']:>8.3g}")
    print("stage ends (s from start) of the last grade:",
          ", ".join(f"{name} {end:.2f}" for name, end in rows[-1][1]["stages"].items()))


if __name__ == "__main__":
    main()
