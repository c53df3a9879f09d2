"""Where a correctness trial's time goes: each step the grade's processes take for one trial, timed in one process.

    python bench/trial_cost.py --device cuda --problem bench/fidelity/problems/relu_short.py [--repeats 3]

The steps, as the grader's processes (harness.child) take them (the problem's own Model stands in for ModelNew):

  prepare   reference process: the trial's inputs, the reference's outputs, the float64 oracle, their distance
  inputs    solution process: the trial's inputs again
  checked   the checked call: poisoned memory, inputs kept to compare, forward, the guard's checks
  save      outputs copied to the host and written for the reference process
  compare   reference process: the file read back and measured against the oracle

A grade runs these for each of its trials (5 by default), spot check (3) and the small-size trial.
Prints one row per repeat, in seconds.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--problem", type=Path, default=ROOT / "bench" / "fidelity" / "problems" / "relu_short.py")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from harness.child import compare, guard
    from harness.child.device import started
    from harness.child.inputs import make_inputs
    from harness.child.problem import load_problem
    from harness.child.reference import Reference, compare_saved

    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    problem = load_problem(args.problem.resolve())
    reference = Reference(problem, 1, device, "eager")
    checker = guard.CallChecker(guard.OwnCodeCounter(), require_own_code=False)
    steps: dict[str, float] = {}

    def step(name: str, fn):
        sync()
        started = time.perf_counter()
        value = fn()
        sync()
        steps[name] = time.perf_counter() - started
        return value

    print(f"{args.problem.name} on {started(device, '').device_name}, torch {torch.__version__}")
    print(f"{'repeat':>6} {'prepare':>8} {'inputs':>8} {'checked':>8} {'save':>8} {'compare':>8} {'total':>8}")
    with tempfile.TemporaryDirectory(prefix="kb-trial-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as d:
        for repeat in range(args.repeats):
            seed, path = 100 + repeat, Path(d) / f"outputs-{repeat}.pt"
            step("prepare", lambda: reference.prepare({"id": repeat, "seed": seed}))
            inputs = step("inputs", lambda: make_inputs(problem, seed, device))

            def checked():
                with guard.PoisonedMemory.around(inputs, device), torch.no_grad():
                    return compare.as_outputs(checker.call(lambda: reference.model(*inputs), inputs))

            outputs = step("checked", checked)
            step("save", lambda: torch.save([t.detach().to("cpu", copy=True) for t in outputs], path))
            oracle, ref_outputs = reference.pending.pop(repeat)
            errors = step("compare", lambda: compare_saved(path, oracle, ref_outputs, device))
            assert errors[0]["problem"] == "", errors
            print(f"{repeat:>6} " + " ".join(f"{steps[k]:>8.3f}" for k in ("prepare", "inputs", "checked", "save",
                                                                           "compare")) + f" {sum(steps.values()):>8.3f}")


if __name__ == "__main__":
    main()
