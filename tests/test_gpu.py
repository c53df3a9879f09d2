"""Grades on a CUDA GPU: the seed's convolution and the ways GPU code fails. Run on the GPU machine."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CONV_PROBLEM, FIXTURES, ROOT, line_of, quick_timeouts
from harness import Status

pytestmark = pytest.mark.cuda
CUDA = FIXTURES / "cuda"
CONV_SOLUTION = ROOT / "solutions" / "level1" / CONV_PROBLEM.name


def test_seed_conv_with_tensor_type_dispatch_is_a_compile_error_naming_the_line(grade_file):
    fixture = CUDA / "conv_type_dispatch.py"
    verdict = grade_file(fixture, problem=CONV_PROBLEM, device="cuda")
    assert verdict.status is Status.COMPILE_ERROR
    line = line_of(fixture, 'AT_DISPATCH_FLOATING_TYPES(input.type(), "conv2d_cuda"')
    assert f"conv_type_dispatch.py:{line}" in verdict.reason
    assert "DeprecatedTypeProperties" in verdict.reason


def test_seed_conv_off_by_one_is_incorrect_naming_both_shapes(grade_file):
    verdict = grade_file(CUDA / "conv_off_by_one.py", problem=CONV_PROBLEM, device="cuda")
    assert verdict.status is Status.INCORRECT
    assert "[8, 128, 509, 251]" in verdict.reason and "[8, 128, 508, 250]" in verdict.reason


def test_seed_conv_direct_convolution_passes_slower_than_cudnn(grade_file):
    verdict = grade_file(CONV_SOLUTION, problem=None, device="cuda", trials=5)
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.correctness.weights.startswith("name")
    assert verdict.correctness.max_rel_err < 1e-5  # fp32 accumulation, no TF32
    assert 0.001 < verdict.speedup < 0.2  # a naive direct convolution against cuDNN
    limited = verdict.ref_timing.power_limited
    assert limited is not None and ("power limit" in verdict.reason) == (limited >= 0.1), (limited, verdict.reason)


def test_side_stream_work_is_timed(grade_file):
    plain = grade_file(CONV_SOLUTION, problem=None, device="cuda", trials=1)
    side = grade_file(CUDA / "conv_side_stream.py", problem=CONV_PROBLEM, device="cuda", trials=1)
    assert plain.status is side.status is Status.PASS, side.reason
    assert side.sol_ms >= 0.95 * plain.sol_ms


def test_cuda_relu_passes(grade_file, launch):
    verdict = grade_file(CUDA / "relu_cuda.py", device="cuda", **launch)
    assert verdict.status is Status.PASS, verdict.reason
    t = verdict.sol_timing
    assert t.clock == "cupti-span" and not t.clock_note and verdict.ref_timing.clock == "cupti-span", t
    assert t.event_median_ms > t.median_ms  # the event clock also counts the timer's own lead and tail


def test_illegal_memory_access_is_reported(grade_file, launch):
    verdict = grade_file(CUDA / "illegal_address.py", device="cuda", sizes="small", **launch)
    assert verdict.status in (Status.RUNTIME_ERROR, Status.CRASHED)
    assert "illegal memory access" in (verdict.reason + verdict.detail)


def test_gpu_hang_times_out(grade_file, launch):
    verdict = grade_file(CUDA / "gpu_hang.py", device="cuda", sizes="small", timeouts=quick_timeouts(run=10),
                         **launch)
    assert verdict.status is Status.TIMEOUT
    assert "running trial 1" in verdict.reason


def test_cpu_extension_given_cuda_tensors_is_a_runtime_error(grade_file):
    verdict = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, device="cuda", sizes="small")
    assert verdict.status is Status.RUNTIME_ERROR
    assert "expected a CPU tensor" in verdict.reason


PLACEMENTS_SCRIPT = """
import json, sys, torch
from pathlib import Path
from harness.child import timing
from harness.child.inputs import CallInputs
from harness.child.problem import load_problem
device = torch.device("cuda")
calls = CallInputs(load_problem(Path(sys.argv[1])), 1, 2, device)
index, inputs, outputs = -1, set(), set()
def before_call(i):
    global index
    index = i
    calls.refresh(i)
def forward():
    out = torch.relu(calls.values[0])
    if index >= 0:
        inputs.add(calls.values[0].data_ptr())
        outputs.add(out.data_ptr())
    return out
timing.measure(forward, device, before_call=before_call)
print(json.dumps([len(inputs), len(outputs)]))
"""


def test_timed_calls_take_their_inputs_and_outputs_from_several_buffers():
    """A process that timed every call on one buffer would measure where that buffer lies (timing.placements)."""
    problem = ROOT / "bench" / "fidelity" / "problems" / "relu_short.py"  # 64 MB in, 64 MB out
    done = subprocess.run([sys.executable, "-c", PLACEMENTS_SCRIPT, str(problem)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    inputs, outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert inputs == 8 and outputs >= 4, (inputs, outputs)


POWER_LIMIT_SCRIPT = """
import json, sys, torch
from pathlib import Path
from harness.child import inputs, timing
from harness.child.problem import load_problem
from harness.common.settings import TimingProfile
device = torch.device("cuda")
counter = timing.limit_counter(device)
if counter.held_ns() is None:
    sys.exit(counter.note)
shares = []
for path in sys.argv[1:]:
    problem = load_problem(Path(path))
    model = inputs.reference_model(problem, 0).to(device)
    values = inputs.make_inputs(problem, 0, device)
    with torch.no_grad():
        report = timing.measure(lambda: model(*values), device, TimingProfile(min_seconds=1.0, max_seconds=1.5))
    shares.append(report.power_limited)
print(json.dumps(shares))
"""


def test_a_loop_at_the_cards_power_limit_says_so_and_a_light_one_does_not():
    """cuDNN's conv of the seed problem holds a 700 W H100 or H200 at its power limit within a second; a memory-bound
    ReLU stays below it (a 128M-float one drew ~560 W on an H200: docs/timing.md, note [5])."""
    light = ROOT / "bench" / "fidelity" / "problems" / "relu_short.py"
    done = subprocess.run([sys.executable, "-c", POWER_LIMIT_SCRIPT, str(CONV_PROBLEM), str(light)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    conv, relu = json.loads(done.stdout.strip().splitlines()[-1])
    assert conv > 0.5 and relu < 0.1, (conv, relu)
