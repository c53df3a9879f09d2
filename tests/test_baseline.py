"""The baseline a user picks: the problem's Model as written (eager), or torch.compile(Model), timed in the
reference's process the same way; correctness is judged against the eager Model's float64 oracle either way."""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, parse_single_json
from harness import Status


def test_a_compile_baseline_grade_times_the_compiled_model_and_the_verdict_says_so(kb, tmp_path):
    """On the CPU torch.compile generates C++ (inductor); it compiles before the first timing loop, none of the
    loops compiles again, and its files live in a private folder that is gone after the grade: nothing lands in
    the per-user caches under the temporary folder (TMPDIR here)."""
    code, out, err = kb("grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--baseline", "compile",
                        "--timing", "quick", "--trials", "2", "--json", TMPDIR=str(tmp_path))
    verdict = parse_single_json(out)
    assert code == 0 and verdict["status"] == "pass", (verdict["reason"], err[-2000:])
    assert verdict["baseline"] == "compile" and "x the torch.compile reference" in verdict["reason"]
    assert verdict["correctness"]["oracle"] == "float64"
    ref, sol = verdict["ref_timing"], verdict["sol_timing"]
    assert len(ref["loops"]) == 2 and [loop["recompiles"] for loop in ref["loops"]] == [0, 0]  # counted: none
    assert all(loop["recompiles"] is None for loop in sol["loops"])  # the solution is not compiled by the grader
    assert ref["median_ms"] > 0 and verdict["speedup"] > 0
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())  # no private folder left, no shared cache made




def test_a_loop_in_which_torch_compiled_again_is_refused_not_timed():
    """Dynamo guards on a module's plain attributes: a forward whose attribute changes between calls recompiles.
    Compiled here with dynamo's eager backend (seconds, where inductor's C++ takes tens of them): what is tested is
    the loop's count of compiled frames and its refusal, the same whatever the backend."""
    import torch

    from harness.child.baseline import Compiled
    from harness.child.failure import Failure
    from harness.common.settings import TIMING_PROFILES

    class Scaled(torch.nn.Module):
        scale = 1.0

        def forward(self, x):
            return x * self.scale

    model, x = Scaled(), torch.randn(3, 5)

    class Calls:  # the timed calls' inputs (harness.child.inputs.CallInputs); call 2 changes the model
        copies, values = [[x]], [x]

        def refresh(self, index):
            model.scale = 2.0 if index >= 2 else 1.0

    timed = Compiled(model)
    timed.compiled = torch.compile(model, backend="eager", dynamic=False)
    with torch.no_grad():
        timed.compiled(x)  # compiled for scale 1.0, before the loop
        with pytest.raises(Failure) as refused:
            timed.measure(Calls(), torch.device("cpu"), TIMING_PROFILES["quick"])
    assert refused.value.status is Status.ERROR
    assert re.search(r"compiled Model again inside a timed loop \([1-9]\d* frame", refused.value.reason), refused.value


@pytest.mark.cuda
def test_a_compile_baseline_grade_on_a_gpu_times_inductors_kernels_by_the_device_clock(grade_file):
    verdict = grade_file(FIXTURES / "cuda" / "relu_cuda.py", device="cuda", baseline="compile")
    assert verdict.status is Status.PASS, verdict.reason
    ref = verdict.ref_timing
    assert verdict.baseline == "compile" and [loop.recompiles for loop in ref.loops] == [0, 0], ref.loops
    assert ref.clock == "cupti-span" and not ref.clock_note, ref  # CUPTI saw the compiled model's Triton kernels
    assert all(loop.cpu_wait is None for loop in ref.loops)  # the scheduler's count witnesses the host clock only
