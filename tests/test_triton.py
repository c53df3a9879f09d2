"""Triton solutions, graded on the CPU through Triton's interpreter (in CI), with the guarantees inline CUDA gets.

Every grade is real: real solution files with @triton.jit kernels, real child processes, the interpreter running
the kernels on CPU tensors (TRITON_INTERPRET=1, which the grader sets without CUDA). What the interpreter cannot
show, compiled binaries in each solution's own cache, a re-grade that compiles nothing, the side stream, is in
the cuda-marked tests at the end, for the GPU machine.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, RELU_PROBLEM, line_of
from harness import Status
from harness.tools.cli import render

TRITON = FIXTURES / "triton"
RELU_MEMORY = ROOT / "bench" / "fidelity" / "problems" / "relu_memory.py"  # 128M floats: a 0.27-0.4 ms ReLU


@pytest.fixture
def grade_forked(grade_file, fork_server):
    """grade_file through the session's fork server: the interpreter's grades without three torch imports each."""
    return lambda solution, problem=RELU_PROBLEM, **overrides: grade_file(solution, problem, server=fork_server.socket,
                                                                          **overrides)


def test_triton_solution_passes_tuned_before_timing_and_interpreted_time_is_no_claim(grade_forked, cache_dir):
    verdict = grade_forked(TRITON / "autotuned.py")
    assert verdict.status is Status.PASS, verdict.reason
    triton = verdict.build.triton
    assert triton is not None and triton.interpreted, triton
    assert "Triton's interpreter" in verdict.reason and "no speedup claim" in verdict.reason, verdict.reason
    assert Path(triton.cache_dir).parent == Path(cache_dir) / "triton"  # the solution's own, in the grader's cache
    tuned = [e for e in triton.events if e.action == "autotuned"]
    assert [(e.kernel, e.stage) for e in tuned] == [("tuned_relu_kernel", "trials")], triton.events  # not timed
    assert "BLOCK: " in tuned[0].detail and "for key (3003," in tuned[0].detail, tuned[0]
    assert all(t.passed for t in verdict.correctness.timed_checks) and verdict.correctness.timed_checks
    assert verdict.provenance.own_share > 0 and "interpreter" in verdict.provenance.note
    shown = render(verdict)
    assert "interpreted (TRITON_INTERPRET=1)" in shown and "autotuned tuned_relu_kernel" in shown, shown


SHIPPED = sorted(p for p in (ROOT / "solutions").glob("level*/*.py") if "import triton" in p.read_text())


def test_six_triton_solutions_are_shipped():
    assert len(SHIPPED) >= 6, SHIPPED


@pytest.mark.parametrize("solution", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_triton_solution_passes_in_the_interpreter(grade_forked, solution):
    verdict = grade_forked(solution, problem=None, time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason
    assert verdict.build.triton.interpreted and verdict.sizes.startswith("small")


def test_wrong_triton_kernel_is_incorrect_naming_the_element(grade_forked):
    verdict = grade_forked(TRITON / "wrong_element.py", time_solution=False)
    assert verdict.status is Status.INCORRECT, verdict.reason
    assert "at [1, 499]: got" in verdict.reason, verdict.reason


def test_triton_kernel_that_does_not_compile_names_tritons_message_and_its_line(grade_forked):
    fixture = TRITON / "compile_error.py"
    verdict = grade_forked(fixture, time_solution=False)
    assert verdict.status is Status.COMPILE_ERROR, verdict.reason
    assert "Triton kernel 'relu_kernel' does not compile" in verdict.reason
    assert f"compile_error.py:{line_of(fixture, 'COMPILE-ERROR-HERE')}" in verdict.reason, verdict.reason
    assert "arange's range must be a power of 2" in verdict.reason, verdict.reason


def test_kernels_sharing_a_name_get_caches_of_their_own(grade_forked):
    relu = grade_forked(TRITON / "relu.py", time_solution=False)
    leaky = grade_forked(TRITON / "leaky_relu.py", time_solution=False)
    again = grade_forked(TRITON / "relu.py", time_solution=False)
    assert relu.status is Status.PASS and again.status is Status.PASS, (relu.reason, again.reason)
    assert leaky.status is Status.INCORRECT, leaky.reason  # its own kernel ran, not the ReLU of the same name
    assert relu.build.triton.cache_dir != leaky.build.triton.cache_dir
    assert relu.build.triton.cache_dir == again.build.triton.cache_dir  # keyed by content, not by run


def test_triton_imported_under_a_name_the_source_never_spells_is_still_watched(grade_forked):
    verdict = grade_forked(TRITON / "unspelled_import.py", time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason  # its launches count as its own code
    assert verdict.build.triton is not None and verdict.build.triton.interpreted


def test_triton_kernel_beside_a_cpp_extension_needs_nothing_declared(grade_forked):
    verdict = grade_forked(TRITON / "beside_cpp.py", time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason
    assert [e.name for e in verdict.build.extensions] == ["relu_ops"] and verdict.build.triton is not None


# -- on the GPU machine: compiled Triton ---------------------------------------------------------------------------

@pytest.mark.cuda
def test_compiled_triton_builds_in_the_build_step_and_a_regrade_compiles_nothing(grade_file, tmp_path):
    first = grade_file(TRITON / "autotuned.py", device="cuda", sizes="full", problem=RELU_MEMORY, cache_dir=tmp_path)
    again = grade_file(TRITON / "autotuned.py", device="cuda", sizes="full", problem=RELU_MEMORY, cache_dir=tmp_path)
    assert first.status is again.status is Status.PASS, (first.reason, again.reason)
    events = first.build.triton.events
    assert not first.build.triton.interpreted
    assert {(e.action, e.stage) for e in events if e.action == "compiled"} == {("compiled", "build")}, events
    assert len([e for e in events if e.action == "compiled"]) == 2  # both configs, compiled ahead
    assert [e.stage for e in events if e.action == "autotuned"] == ["trials"], events
    assert not [e for e in events if e.stage in ("warm-up", "timed calls")], events
    assert not [e for e in again.build.triton.events if e.action == "compiled"], again.build.triton.events
    assert list(Path(first.build.triton.cache_dir).rglob("tuned_relu_kernel.cubin")), first.build.triton.cache_dir


@pytest.mark.cuda
def test_compiled_triton_kernels_sharing_a_name_get_binaries_of_their_own(grade_file, tmp_path):
    relu = grade_file(TRITON / "relu.py", device="cuda", cache_dir=tmp_path, time_solution=False)
    leaky = grade_file(TRITON / "leaky_relu.py", device="cuda", cache_dir=tmp_path, time_solution=False)
    assert relu.status is Status.PASS and leaky.status is Status.INCORRECT, (relu.reason, leaky.reason)
    binaries = [sorted(Path(v.build.triton.cache_dir).rglob("elementwise_kernel.cubin")) for v in (relu, leaky)]
    assert all(binaries) and not set(binaries[0]) & set(binaries[1]), binaries


@pytest.mark.cuda
def test_compiled_triton_compile_error_names_tritons_message_and_its_line(grade_file):
    fixture = TRITON / "compile_error.py"
    verdict = grade_file(fixture, device="cuda", time_solution=False)
    assert verdict.status is Status.COMPILE_ERROR, verdict.reason
    assert f"compile_error.py:{line_of(fixture, 'COMPILE-ERROR-HERE')}" in verdict.reason, verdict.reason
    assert "arange's range must be a power of 2" in verdict.reason, verdict.reason


@pytest.mark.cuda
def test_triton_kernel_on_a_side_stream_is_timed_in_full(grade_file):
    plain = grade_file(TRITON / "relu.py", problem=RELU_MEMORY, device="cuda", trials=1)
    side = grade_file(FIXTURES / "cuda" / "triton_side_stream.py", problem=RELU_MEMORY, device="cuda", trials=1)
    assert plain.status is side.status is Status.PASS, side.reason
    assert side.provenance.own_kernels and side.provenance.own_kernels[0].startswith("elementwise_kernel")
    assert side.sol_ms >= 0.95 * plain.sol_ms, (side.sol_ms, plain.sol_ms)
    assert side.sol_ms >= side.work.floor_ms
