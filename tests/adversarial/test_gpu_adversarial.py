"""Cheats that need a GPU (run on the GPU machine), and the honest CUDA controls."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from harness import Status

pytestmark = pytest.mark.cuda
HERE = Path(__file__).parent / "cuda"
RELU_MEMORY = ROOT / "bench" / "fidelity" / "problems" / "relu_memory.py"  # 128M floats: a 0.27-0.4 ms ReLU

CHEATS = [
    ("allocator_alias.py", Status.INCORRECT, "relative error"),
    ("graph_replay.py", Status.REJECTED, "shares memory with an output of the previous call"),
    ("cudnn_benchmark.py", Status.REJECTED, "torch.backends.cudnn.benchmark from False to True"),
    ("l2_persist.py", Status.REJECTED, "the persisting-L2 limit"),
    ("host_mapped_output.py", Status.REJECTED, "host-mapped memory"),
]


@pytest.mark.parametrize("fixture, status, words", CHEATS, ids=[c[0].removesuffix(".py") for c in CHEATS])
def test_gpu_cheat_does_not_pass(grade_file, fixture, status, words):
    verdict = grade_file(HERE / fixture, device="cuda", time_solution=False, sizes="small")
    assert verdict.status is status, verdict.reason
    assert words in verdict.reason


def test_native_thread_deferral_is_caught_by_spot_checks_and_by_its_threads(grade_file):
    checked = grade_file(HERE / "native_deferral.py", device="cuda")
    assert checked.status is Status.REJECTED and "timed call" in checked.reason, checked.reason
    # Without spot checks: the threads it leaves running after forward returns give it away.
    unchecked = grade_file(HERE / "native_deferral.py", device="cuda", spot_checks=0)
    assert unchecked.status is Status.REJECTED, unchecked.reason
    assert "thread that was still running when forward returned" in unchecked.reason


def test_kernels_hidden_from_cupti_send_the_grade_to_the_event_clock(grade_file):
    verdict = grade_file(HERE / "cupti_off.py", problem=RELU_MEMORY, device="cuda", trials=1)
    assert verdict.status is Status.PASS, verdict.reason  # its output is right; only its time was hidden
    assert verdict.sol_timing.clock == verdict.ref_timing.clock == "cuda-events", verdict.sol_timing
    assert verdict.sol_timing.clock_note, verdict.sol_timing  # names what CUPTI's record lacked
    assert verdict.sol_ms >= verdict.work.floor_ms


def test_token_kernel_shows_as_a_tiny_share_of_gpu_time(grade_file):
    verdict = grade_file(HERE / "token_kernel.py", device="cuda", time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason  # default policy: reported
    share = verdict.provenance
    assert share.method == "profiler" and share.own_share < 0.05, share
    assert share.own_kernels and share.own_kernels[0].startswith("relu_kernel"), share
    rejected = grade_file(HERE / "token_kernel.py", device="cuda", time_solution=False, min_own_share=0.5)
    assert rejected.status is Status.REJECTED and "own code took" in rejected.reason, rejected.reason


def test_honest_cuda_control_passes_with_its_own_kernels_doing_the_work(grade_file):
    verdict = grade_file(FIXTURES / "cuda" / "relu_cuda.py", device="cuda")
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.provenance.own_share > 0.9, verdict.provenance
    assert all(t.passed for t in verdict.correctness.timed_checks) and verdict.correctness.timed_checks
    assert verdict.work.floor_ms and 0 < verdict.roofline_fraction < 1, verdict.work
