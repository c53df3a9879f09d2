"""Cheating solutions for problems/level1/19_ReLU.py must not pass; honest ones must (CPU, in CI).

Each fixture is a real solution file that cheats one documented way (docs/threat-model.md lists the
families and their defences). The expected status and the words of the reason name the mechanism.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import ROOT, FIXTURES
from harness import Status

HERE = Path(__file__).parent / "cpu"

CHEATS = [
    # fixture, status, words the reason must contain
    ("passthrough.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("ghost_kernel.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("inherits_reference.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("identity.py", Status.INCORRECT, "relative error"),
    ("disables_guard.py", Status.REJECTED, "rebound harness.child.guard.CallChecker._check"),
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
    ("lucky_zeros.py", Status.INCORRECT, "relative error"),
    ("seed_replay.py", Status.INCORRECT, "relative error"),
    ("forged_result.py", Status.CRASHED, "exited with code 0"),
    ("forged_answer.py", Status.CRASHED, "did not sign"),
    ("triton_passthrough.py", Status.REJECTED, "none of the solution's own compiled functions"),
    ("triton_fallback.py", Status.COMPILE_ERROR, "Triton kernel 'relu_kernel' does not compile"),
]


@pytest.mark.parametrize("fixture, status, words", CHEATS, ids=[c[0].removesuffix(".py") for c in CHEATS])
def test_cheat_does_not_pass(grade_file, launch, fixture, status, words):
    verdict = grade_file(HERE / fixture, time_solution=False, **launch)
    assert verdict.status is status, verdict.reason
    assert words in verdict.reason


# Cheats that act only while the timer runs: graded with timing on.
TIMED_CHEATS = [
    ("timed_memo.py", Status.REJECTED, "timed call"),
    ("torch_when_timed.py", Status.REJECTED, "timed calls ran the solution's own compiled code"),
]


@pytest.mark.parametrize("fixture, status, words", TIMED_CHEATS, ids=[c[0].removesuffix(".py") for c in TIMED_CHEATS])
def test_cheat_while_timed_does_not_pass(grade_file, launch, fixture, status, words):
    verdict = grade_file(HERE / fixture, **launch)
    assert verdict.status is status, verdict.reason
    assert words in verdict.reason


def test_native_thread_deferral_while_timed_is_caught_with_and_without_spot_checks(grade_file):
    checked = grade_file(HERE / "native_thread_when_timed.py")
    assert checked.status is Status.REJECTED, checked.reason
    # With no spot checks, the threads the timed calls leave running give it away.
    unchecked = grade_file(HERE / "native_thread_when_timed.py", spot_checks=0)
    assert unchecked.status is Status.REJECTED, unchecked.reason
    assert "thread that was still running when forward returned" in unchecked.reason


def test_processes_a_solution_starts_are_stopped_before_the_reference_is_timed(grade_file, launch, tmp_path,
                                                                               monkeypatch):
    """The build process's neighbour is gone before the reference's first timing loop (stage "build" ends once
    it is killed, before the oracle, the work count and that loop); the solution process's before its second."""
    monkeypatch.setenv("KB_TEST_HEARTBEAT", str(tmp_path / "beat"))
    started = time.monotonic()
    verdict = grade_file(HERE / "busy_neighbour.py", **launch)
    assert verdict.status is Status.PASS, verdict.reason
    last_beat = {role: float((tmp_path / f"beat-{role}").read_text()) for role in ("build", "solution")}
    stages = verdict.stages
    # Stage marks count from the grade's own start, a few ms after `started`: 50 ms of slack.
    assert last_beat["build"] < started + stages["build"] + 0.05 < started + stages["time reference"], stages
    assert last_beat["solution"] < started + stages["solution stopped"] + 0.05, stages
    assert stages["time reference again"] - stages["solution stopped"] > 0.1, stages  # a survivor would beat on
    assert len(verdict.ref_timing.loops) == 2 and len(verdict.sol_timing.loops) == 1


def test_token_kernel_shows_as_a_small_share_and_a_policy_rejects_it(grade_file):
    problem = FIXTURES / "problems" / "linear_relu.py"
    reported = grade_file(HERE / "token_kernel.py", problem, time_solution=False)
    assert reported.status is Status.PASS, reported.reason  # the default policy reports the share
    assert reported.provenance.own_share < 0.5, reported.provenance  # ~0.1: one element of 32x256
    rejected = grade_file(HERE / "token_kernel.py", problem, time_solution=False, min_own_share=0.5)
    assert rejected.status is Status.REJECTED and "own code took" in rejected.reason, rejected.reason


@pytest.mark.parametrize("solution", [
    ROOT / "solutions" / "level1" / "19_ReLU.py",
    FIXTURES / "cpu" / "same_name_relu.py",
    FIXTURES / "cpu" / "builds_in_init.py",
], ids=lambda p: p.stem)
def test_honest_control_passes(grade_file, launch, solution):
    verdict = grade_file(solution, **launch)
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.correctness.timed_checks and all(t.passed for t in verdict.correctness.timed_checks)
    assert verdict.provenance.method == "host timer" and verdict.provenance.own_share > 0, verdict.provenance
