"""Wall time of a first grade (cold, with a fresh build cache) and of cached re-grades, and the grader's overhead.

overhead = wall time of `kb grade` - compiling - timed work (reference + solution timing loops)

It is what the grader adds: process starts, imports, oracle and trials, moving
outputs between processes. Targets (issue 2): a cached re-grade of a small CPU
solution under 10 s on the 2-core machine; under 3 s of overhead per grade on the GPU.

    python bench/grade_overhead.py --device cpu
    python bench/grade_overhead.py --device cuda --solution tests/fixtures/cuda/relu_cuda.py
    python bench/grade_overhead.py --device cpu --server   # every grade's processes forked by `kb serve`
"""
from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness.wire import launch  # noqa: E402


def grade_once(solution: Path, problem: Path, device: str, cache: Path, server: Path | None) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", "grade", str(solution), "--problem", str(problem),
                           "--device", device, "--json", "--cache-dir", str(cache),
                           *(["--server", str(server)] if server else [])],
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
    parser.add_argument("--cache", type=Path, default=None,
                        help="build cache to use and keep (default: a fresh one, so the first grade compiles)")
    parser.add_argument("--server", action="store_true",
                        help="start `kb serve` first (its start is reported, not counted) and grade through it")
    args = parser.parse_args()
    args.solution, args.problem = args.solution.resolve(), args.problem.resolve()

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as work, contextlib.ExitStack() as stack:
        cache, server = (args.cache.resolve() if args.cache else Path(work) / "cache"), None
        if args.server:
            started = time.monotonic()
            server = stack.enter_context(launch.running(Path(work) / "server.sock")).socket
            print(f"kb serve ready after {time.monotonic() - started:.2f} s")
        rows = [("first", grade_once(args.solution, args.problem, args.device, cache, server))]
        rows += [(f"cached {i + 1}", grade_once(args.solution, args.problem, args.device, cache, server))
                 for i in range(args.regrades)]
    print(f"solution {args.solution.relative_to(ROOT)} on {rows[0][1]['device']}"
          f"{', processes forked by kb serve' if server else ''}")
    print(f"{'grade':<10} {'wall s':>8} {'compile s':>10} {'timed s':>8} {'overhead s':>11} {'speedup':>8}")
    for label, r in rows:
        print(f"{label:<10} {r['wall']:>8.2f} {r['compile']:>10.2f} {r['timed']:>8.2f} {r['overhead']:>11.2f} "
              f"{r['speedup']:>8.3g}")
    print("stage ends (s from start) of the last grade:",
          ", ".join(f"{name} {end:.2f}" for name, end in rows[-1][1]["stages"].items()))


if __name__ == "__main__":
    main()
