"""End-to-end grades on the CPU: real builds, real child processes, real problems."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, RELU_PROBLEM, ROOT, line_of, quick_timeouts
from harness.tools.cli import render
from harness import TIMING_PROFILES
from harness import Status
from harness.common.stats import CONTENDED_SHARE

CPU = FIXTURES / "cpu"


def test_shipped_cpu_solution_passes_with_speedup(grade_file, launch):
    verdict = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, **launch)  # paired by path
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.problem == str(RELU_PROBLEM)
    assert [t.passed for t in verdict.correctness.trials] == [True, True, True]
    assert len({t.seed for t in verdict.correctness.trials}) == 3  # fresh inputs per trial
    assert verdict.correctness.oracle == "float64"
    assert verdict.ref_ms > 0 and verdict.sol_ms > 0
    lo, hi = verdict.speedup_ci
    assert lo <= verdict.speedup <= hi
    assert verdict.baseline == "eager" and "x the PyTorch reference" in verdict.reason
    assert all(loop.recompiles is None for loop in verdict.ref_timing.loops)  # nothing compiled, nothing counted
    for timing in verdict.ref_timing, verdict.sol_timing:  # other engineers' work may load this machine: the flag
        kept = [loop.cpu_wait for loop in timing.loops if loop.kept]  # must agree with the counts, whatever they are
        assert all(0 <= share <= 1 for share in kept) and timing.cpu_wait == max(kept)
        assert timing.contended == (timing.cpu_wait >= CONTENDED_SHARE)
    flagged = verdict.ref_timing.contended or verdict.sol_timing.contended
    assert ("held the CPU" in verdict.reason) == flagged, verdict.reason


def test_compile_error_names_the_solution_line(grade_file):
    verdict = grade_file(CPU / "compile_error.py")
    assert verdict.status is Status.COMPILE_ERROR
    line = line_of(CPU / "compile_error.py", "COMPILE-ERROR-HERE")
    assert f"compile_error.py:{line}" in verdict.reason
    assert "clamp_below_zero" in verdict.reason
    assert verdict.status.exit_code == 1


def test_missing_modelnew_is_a_load_error(grade_file):
    verdict = grade_file(CPU / "no_modelnew.py")
    assert verdict.status is Status.LOAD_ERROR
    assert "defines no ModelNew" in verdict.reason


def test_constructor_signature_mismatch_is_a_load_error(grade_file):
    verdict = grade_file(CPU / "bad_signature.py")
    assert verdict.status is Status.LOAD_ERROR
    assert "ModelNew(*get_init_inputs()) failed" in verdict.reason and "negative_slope" in verdict.reason


def test_syntax_error_names_the_line(grade_file, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\n\nclass ModelNew(:\n    pass\n")
    verdict = grade_file(broken)
    assert verdict.status is Status.LOAD_ERROR
    assert verdict.reason.startswith("broken.py:3: SyntaxError")


def test_kernel_check_failure_is_a_runtime_error(grade_file):
    verdict = grade_file(CPU / "runtime_error.py")
    assert verdict.status is Status.RUNTIME_ERROR
    assert "relu_strict: expected a float64 tensor" in verdict.reason


def test_wrong_shape_names_both_shapes(grade_file):
    verdict = grade_file(CPU / "wrong_shape.py")
    assert verdict.status is Status.INCORRECT
    assert "[3, 1000]" in verdict.reason and "[3, 1001]" in verdict.reason  # the problem's SMALL_SIZES on CPU


def test_wrong_values_name_error_budget_and_worst_element(grade_file):
    verdict = grade_file(CPU / "wrong_values.py")
    assert verdict.status is Status.INCORRECT
    assert "relative error" in verdict.reason and "budget" in verdict.reason
    assert "got -" in verdict.reason  # the leaky slope shows in the worst element
    assert verdict.correctness.trials[0].rel_err > verdict.correctness.rel_budget


def test_nan_output_is_incorrect(grade_file):
    verdict = grade_file(CPU / "nan_output.py")
    assert verdict.status is Status.INCORRECT
    assert "NaN/inf" in verdict.reason and "first at [0, 0]" in verdict.reason


def test_hang_times_out_and_the_grader_still_answers(grade_file, launch):
    verdict = grade_file(CPU / "hangs.py", timeouts=quick_timeouts(run=5), **launch)
    assert verdict.status is Status.TIMEOUT
    assert "timed out after 5 s while running trial 1" in verdict.reason
    assert verdict.seconds < 60


def test_segfault_is_a_crash_named_by_its_signal(grade_file, launch):
    verdict = grade_file(CPU / "segfault.py", **launch)
    assert verdict.status is Status.CRASHED
    assert "SIGSEGV" in verdict.reason and "running trial 1" in verdict.reason


def test_exiting_early_is_a_crash(grade_file, launch):
    verdict = grade_file(CPU / "exits_early.py", **launch)
    assert verdict.status is Status.CRASHED
    assert "exited with code 0 while running trial 1" in verdict.reason


def test_printing_garbage_changes_nothing(grade_file, launch):
    verdict = grade_file(CPU / "noisy.py", require_own_code=False, **launch)
    assert verdict.status is Status.PASS, verdict.reason


def test_bf16_computation_fails_a_float32_problem(grade_file):
    verdict = grade_file(CPU / "bf16_relu.py", require_own_code=False)
    assert verdict.status is Status.INCORRECT
    trial = verdict.correctness.trials[0]
    assert 1e-4 < trial.rel_err < 1e-2  # bf16 rounding: well above fp32's budget, far from garbage


def test_zero_output_fails_where_every_true_value_is_below_1e_4(grade_file):
    problem = FIXTURES / "problems" / "wide_softmax.py"
    zeros = grade_file(FIXTURES / "softmax" / "zeros.py", problem=problem, time_solution=False,
                       require_own_code=False)
    assert zeros.status is Status.INCORRECT
    assert zeros.correctness.trials[0].rel_err == pytest.approx(1.0)
    honest = grade_file(FIXTURES / "softmax" / "exp_normalize.py", problem=problem, time_solution=False,
                        require_own_code=False)
    assert honest.status is Status.PASS, honest.reason


@pytest.mark.parametrize("fixture, how", [("renamed.py", "order"), ("same_names.py", "name")])
def test_reference_weights_are_loaded_by_name_or_order(grade_file, fixture, how):
    verdict = grade_file(FIXTURES / "weights" / fixture, problem=FIXTURES / "problems" / "linear_relu.py",
                         time_solution=False, require_own_code=False)
    assert verdict.status is Status.PASS, verdict.reason  # its own initialisation would fail
    assert verdict.correctness.weights.startswith(how)


def test_cuda_solution_without_cuda_is_unsupported(grade_file):
    verdict = grade_file(FIXTURES / "cuda" / "relu_cuda.py")
    assert verdict.status is Status.UNSUPPORTED
    assert "needs CUDA" in verdict.reason
    assert verdict.status.exit_code == 2


def test_missing_problem_pairing_is_a_grader_error(grade_file, tmp_path):
    loose = tmp_path / "loose.py"
    loose.write_text("class ModelNew: pass\n")
    verdict = grade_file(loose, problem=None)
    assert verdict.status is Status.ERROR
    assert "--problem" in verdict.reason


def test_cpu_grades_default_to_the_problems_small_sizes(grade_file):
    verdict = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.sizes.startswith("small") and verdict.correctness.outputs == ["float32[3, 1001]"]


def test_solution_with_hard_coded_sizes_fails_the_generalization_trial(grade_file):
    problem = FIXTURES / "problems" / "sized_relu.py"
    honest = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem, sizes="full")
    assert honest.status is Status.PASS and honest.generalization.passed is True, honest.generalization
    assert honest.generalization.sizes == {"batch_size": 3, "dim": 1001}
    # The reference's second timing loop comes after the trial at the small sizes, back at the graded ones.
    assert list(honest.stages)[-3:] == ["generalization", "solution stopped", "time reference again"]
    assert len(honest.ref_timing.loops) == 2

    hard_coded = FIXTURES / "cpu" / "hardcoded_sizes.py"
    reported = grade_file(hard_coded, problem, sizes="full", time_solution=False)
    assert reported.status is Status.PASS, reported.reason  # the default policy reports
    assert reported.generalization.passed is False and "[16, 1024]" in reported.generalization.problem
    required = grade_file(hard_coded, problem, sizes="full", time_solution=False, generalization="require")
    assert required.status is Status.INCORRECT and "other sizes" in required.reason, required.reason


# Triton solutions run in Triton's interpreter on the CPU: tests/test_triton.py grades them, through the fork server.
CPU_SOLUTIONS = sorted(p for p in (ROOT / "solutions").glob("level*/*.py")
                       if not any(mark in p.read_text() for mark in ("cuda_sources", '.cu"', "import triton")))


@pytest.mark.parametrize("solution", CPU_SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_cpu_solution_passes(grade_file, solution):
    verdict = grade_file(solution, problem=None, time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.generalization.passed is None  # on the CPU the grade already runs at SMALL_SIZES


def test_timing_while_other_processes_hold_every_core_is_flagged_and_still_passes(grade_file, fork_server):
    """Busy processes, twice as many as the cores, run beside the whole grade: the threads of both timed processes
    wait for a core about two thirds of their ready time (the scheduler's count), far over the flag's 10%. The
    grade passes; its reason and both Timings say so."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 1))]
    try:
        verdict = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, server=fork_server.socket,
                             trials=1, spot_checks=1, provenance=False)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert verdict.status is Status.PASS, verdict.reason
    for timing in verdict.ref_timing, verdict.sol_timing:
        assert timing.contended and timing.cpu_wait >= 3 * CONTENDED_SHARE, timing
    assert "reference and solution timed while other processes held the CPU" in verdict.reason
    assert "CONTENDED" in render(verdict)


def test_loops_timed_while_the_host_was_slow_run_again_and_the_verdict_says_so(grade_file):
    """The solution's loops are judged against the grade's quietest (stats.disturbed): each slow one runs again
    on inputs of its own, up to `retimes`; only the quietest counts, and the timing is marked."""
    profile = dataclasses.replace(TIMING_PROFILES["quick"], retimes=2, retime_after_seconds=0.05)
    verdict = grade_file(CPU / "slow_timer.py", timing=profile, spot_checks=1)
    assert verdict.status is Status.PASS, verdict.reason
    sol, ref = verdict.sol_timing, verdict.ref_timing
    assert len(sol.loops) == 3 and [loop.kept for loop in sol.loops].count(True) == 1, sol.loops
    assert sol.disturbed and sol.empty_call_ms > 2 * ref.empty_call_ms, (sol, ref)
    assert sol.calls == next(loop.calls for loop in sol.loops if loop.kept)
    assert not ref.disturbed, ref.loops  # the reference's process was not slowed
    assert len(verdict.correctness.timed_checks) == 1  # the kept loop's spot check; the others never count
    assert "DISTURBED" in render(verdict)
