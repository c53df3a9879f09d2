"""Grade every shipped solution through the command line and list each one's status; compare with a recorded list.

    python bench/statuses.py --device cpu --out statuses-cpu.json             # every solution this device runs
    python bench/statuses.py --device cuda --kb "/other/checkout/.venv/bin/kb" --out before.json
    python bench/statuses.py --device cpu --expect bench/statuses.json        # exit 1 on any difference

A change that is meant to leave behaviour alone (a refactor) must leave every status as it was: grade with the
grader before and after (`--kb` names the `kb` to run; default this checkout's, `python -m harness`) and compare.
On the CPU only the solutions without CUDA sources are graded (the others would be `unsupported`), and without
Triton kernels: on the CPU those run in Triton's interpreter, tens of seconds a timed grade, and tests/test_triton.py
grades them there.
`bench/statuses.json` records the statuses of every shipped solution on each device; tests/test_statuses.py
compares the CPU ones in CI. Each grade runs with `--timing quick`: the status, not the speedup, is compared.
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shipped(device: str) -> list[Path]:
    """solutions/<set>/<name>.py; on the CPU, those without CUDA sources or Triton kernels."""
    found = sorted((ROOT / "solutions").glob("*/*.py"))
    if device == "cpu":
        marks = ("cuda_sources", '.cu"', "import triton")
        found = [p for p in found if not any(mark in p.read_text() for mark in marks)]
    return found


def status_of(kb: list[str], solution: Path, device: str) -> dict:
    """One grade's status and reason, through `kb grade --json`."""
    done = subprocess.run([*kb, "grade", str(solution), "--device", device, "--timing", "quick", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=1800)
    try:
        verdict = json.loads(done.stdout)
    except ValueError:
        return {"status": f"no verdict (exit {done.returncode})", "reason": done.stderr.strip()[-300:]}
    return {"status": verdict["status"], "reason": verdict["reason"][:200]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--device", choices=["cpu", "cuda"], required=True)
    parser.add_argument("--kb", default=f"{shlex.quote(sys.executable)} -m harness",
                        help="the kb command line to grade with (default: this checkout's)")
    parser.add_argument("--jobs", type=int, default=1, help="grades at a time (default 1)")
    parser.add_argument("--out", type=Path, help="write {solution: {status, reason}} here")
    parser.add_argument("--expect", type=Path, help="a recorded list ({device: {solution: status}}): exit 1 where a "
                                                    "status differs")
    args = parser.parse_args()
    kb = shlex.split(args.kb)
    solutions = shipped(args.device)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = dict(zip((p.relative_to(ROOT).as_posix() for p in solutions),
                           pool.map(lambda p: status_of(kb, p, args.device), solutions)))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    differ = []
    if args.expect:
        expected = json.loads(args.expect.read_text())[args.device]
        differ = [name for name in sorted(set(expected) | set(results))
                  if expected.get(name) != results.get(name, {}).get("status")]
    width = max(len(name) for name in results)
    for name, result in results.items():
        mark = "  DIFFERS" if name in differ else ""
        print(f"{name:<{width}}  {result['status']:<14}{mark}  {result['reason'][:80]}")
    for name in differ:
        if name not in results:
            print(f"{name:<{width}}  (not graded)    DIFFERS: expected {expected[name]}")
    print(f"{len(results)} solutions on {args.device} in {time.monotonic() - began:.0f} s"
          + (f"; {len(differ)} differ from {args.expect}" if args.expect else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
