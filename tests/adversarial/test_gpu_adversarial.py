"""Cheats that need a GPU (run on the GPU machine), and the honest CUDA controls."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from harness.verdict import Status

pytestmark = pytest.mark.cuda
HERE = Path(__file__).parent / "cuda"

CHEATS = [
    ("allocator_alias.py", Status.INCORRECT, "relative error"),
    ("graph_replay.py", Status.REJECTED, "shares memory with an output of the previous call"),
    ("cudnn_benchmark.py", Status.REJECTED, "torch.backends.cudnn.benchmark from False to True"),
]


@pytest.mark.parametrize("fixture, status, words", CHEATS, ids=[c[0].removesuffix(".py") for c in CHEATS])
def test_gpu_cheat_does_not_pass(grade_file, fixture, status, words):
    verdict = grade_file(HERE / fixture, device="cuda", time_solution=False)
    assert verdict.status is status, verdict.reason
    assert words in verdict.reason


def test_honest_cuda_control_passes(grade_file):
    verdict = grade_file(FIXTURES / "cuda" / "relu_cuda.py", device="cuda")
    assert verdict.status is Status.PASS, verdict.reason
