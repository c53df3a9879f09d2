"""Cheating solutions for problems/level1/19_ReLU.py must not pass; honest ones must (CPU, in CI).

Each fixture is a real solution file that cheats one documented way (../../../shared/HACKS.md,
docs/threat-model.md). The expected status and the words of the reason name the mechanism.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, FIXTURES
from harness.verdict import Status

HERE = Path(__file__).parent / "cpu"

CHEATS = [
    # fixture, status, words the reason must contain
    ("passthrough.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("ghost_kernel.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("fallback.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("inplace_input.py", Status.REJECTED, "modified input 0 in place"),
    ("memoized.py", Status.REJECTED, "shares memory with an output of the previous call"),
    ("thread_deferral.py", Status.REJECTED, "left a thread running (deferred-relu)"),
    ("lazy_tensor.py", Status.REJECTED, "not a plain torch.Tensor"),
    ("tf32_switch.py", Status.REJECTED, "torch.backends.cuda.matmul.allow_tf32 from False to True"),
    ("thread_count.py", Status.REJECTED, "torch.get_num_threads()"),
    ("patched_allclose.py", Status.REJECTED, "rebound torch."),
    ("patched_clock.py", Status.REJECTED, "rebound "),
    ("sabotage_reference.py", Status.REJECTED, "rebound torch.relu"),
    ("reads_expected.py", Status.INCORRECT, "relative error"),
    ("seed_replay.py", Status.INCORRECT, "relative error"),
    ("forged_result.py", Status.CRASHED, "exited with code 0"),
]


@pytest.mark.parametrize("fixture, status, words", CHEATS, ids=[c[0].removesuffix(".py") for c in CHEATS])
def test_cheat_does_not_pass(grade_file, fixture, status, words):
    verdict = grade_file(HERE / fixture, time_solution=False)
    assert verdict.status is status, verdict.reason
    assert words in verdict.reason


@pytest.mark.parametrize("solution", [
    ROOT / "solutions" / "level1" / "19_ReLU.py",
    FIXTURES / "cpu" / "same_name_relu.py",
    FIXTURES / "cpu" / "builds_in_init.py",
], ids=lambda p: p.stem)
def test_honest_control_passes(grade_file, solution):
    verdict = grade_file(solution)
    assert verdict.status is Status.PASS, verdict.reason
