"""The pytest gate (harness.tools.pytest_plugin), run as a real pytest in a real folder of solutions and problems."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, RELU_PROBLEM, ROOT

RELU = "solutions/level1/19_ReLU.py::grade[level1/19_ReLU-19_ReLU]"
NARROW = "solutions/level1/narrow.py::grade[level1/narrow-narrow]"


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """solutions/level1/{19_ReLU,narrow}.py paired with problems/level1/ by name, beside files that are no
    solutions: a private helper, the sources the narrow solution builds, and a file without a problem."""
    (tmp_path / "solutions" / "level1").mkdir(parents=True)
    (tmp_path / "problems" / "level1").mkdir(parents=True)
    for name in ("19_ReLU", "narrow"):
        shutil.copy(RELU_PROBLEM, tmp_path / "problems" / "level1" / f"{name}.py")
    relu = ROOT / "solutions" / "level1" / "19_ReLU.py"
    shutil.copy(relu, tmp_path / "solutions" / "level1")
    shutil.copy(relu, tmp_path / "solutions" / "level1" / "unpaired.py")
    shutil.copy(FIXTURES / "cpu" / "wrong_shape.py", tmp_path / "solutions" / "level1" / "narrow.py")
    shutil.copy(FIXTURES / "cpu" / "faulty_ops.cpp", tmp_path / "solutions" / "level1")
    (tmp_path / "solutions" / "level1" / "_shared.py").write_text("raise SystemExit('never imported')\n")
    return tmp_path


def gate(folder: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KB_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "pytest", "--kb-timing", "quick", "-p", "no:cacheprovider", "-rA",
                           *args], cwd=folder, env=env, capture_output=True, text=True, timeout=900)


def test_solution_files_are_collected_by_path_one_item_each(pairs, cache_dir):
    folder = gate(pairs, cache_dir, "solutions", "--collect-only", "-q")
    assert folder.returncode == 0, folder.stdout + folder.stderr
    assert folder.stdout.splitlines()[:3] == [RELU, NARROW, ""]  # the helper, the sources, the unpaired file: none
    assert "2 tests collected" in folder.stdout

    named = gate(pairs, cache_dir, "solutions/level1/19_ReLU.py", "--collect-only", "-q")
    assert named.stdout.splitlines()[:2] == [RELU, ""] and "1 test collected" in named.stdout

    unpaired = gate(pairs, cache_dir, "solutions/level1/unpaired.py")  # named: collected, and fails saying why
    assert unpaired.returncode == 1
    assert "FAILED solutions/level1/unpaired.py::grade[unpaired]" in unpaired.stdout
    assert "no problem file" in unpaired.stdout and "pass --kb-problems=PATH" in unpaired.stdout

    (pairs / "attempts").mkdir()
    for sample in ("a", "b"):
        shutil.copy(pairs / "solutions" / "level1" / "19_ReLU.py", pairs / "attempts" / f"{sample}.py")
    samples = gate(pairs, cache_dir, "attempts", "--kb-problems=problems/level1/19_ReLU.py", "--collect-only", "-q")
    assert samples.stdout.splitlines()[:2] == ["attempts/a.py::grade[level1/19_ReLU-a]",
                                               "attempts/b.py::grade[level1/19_ReLU-b]"], samples.stdout

    (pairs / "runs" / "r1").mkdir(parents=True)  # a KernelBench run folder: problem 19 of level 1, sample 3
    shutil.copy(pairs / "solutions" / "level1" / "19_ReLU.py",
                pairs / "runs" / "r1" / "level_1_problem_19_sample_3_kernel.py")
    run = gate(pairs, cache_dir, "runs", "--kb-problems=problems", "--collect-only", "-q")
    assert run.stdout.splitlines()[0] == "runs/r1/level_1_problem_19_sample_3_kernel.py::grade[level1/19_ReLU-3]"


def test_one_test_per_solution_file_failing_with_the_reason(pairs, cache_dir, launch):
    run = gate(pairs, cache_dir, "solutions", "--kb-device", "cpu",
               *([f"--kb-server={launch['server']}"] if launch else []))
    assert run.returncode == 1, run.stdout
    assert "collected 2 items" in run.stdout
    assert f"PASSED {RELU}" in run.stdout and f"FAILED {NARROW}" in run.stdout
    assert "incorrect: trial 1 of 5: output 0 has shape [3, 1000], expected [3, 1001]" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_the_gates_items_are_graded_as_one_batch(pairs, cache_dir):
    """Two samples of one problem: graded by the batch engine, against one reference (its loops the same in both
    verdicts, which JUnit XML carries)."""
    import ast
    import xml.etree.ElementTree as ElementTree

    (pairs / "attempts").mkdir()
    for sample in ("a", "b"):
        shutil.copy(pairs / "solutions" / "level1" / "19_ReLU.py", pairs / "attempts" / f"{sample}.py")
    run = gate(pairs, cache_dir, "attempts", "--kb-problems=problems/level1/19_ReLU.py", "--kb-device", "cpu",
               "--junitxml=gate.xml")
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout
    verdicts = [ast.literal_eval(prop.get("value")) for prop in ElementTree.parse(pairs / "gate.xml").iter("property")
                if prop.get("name") == "kb_verdict"]
    loops = [[loop["median_ms"] for loop in verdict["ref_timing"]["loops"]] for verdict in verdicts]
    assert len(loops) == 2 and loops[0] == loops[1] and len(loops[0]) >= 2


def test_min_speedup_fails_slow_solutions(pairs, cache_dir):
    run = gate(pairs, cache_dir, "solutions/level1/19_ReLU.py", "--kb-device", "cpu", "--kb-min-speedup", "1000")
    assert run.returncode == 1
    assert "too slow:" in run.stdout and "below --kb-min-speedup 1000" in run.stdout
    helped = gate(pairs, cache_dir, "--help")
    assert "lower end of its speedup's 95% interval" in " ".join(helped.stdout.split())


def test_absent_device_skips_with_the_reason(pairs, cache_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    run = gate(pairs, cache_dir, "solutions", "--kb-device", "cuda")
    assert run.returncode == 0
    assert "2 skipped" in run.stdout and "torch sees no CUDA device" in run.stdout


def test_runs_under_xdist(pairs, cache_dir):
    run = gate(pairs, cache_dir, "solutions", "--kb-device", "cpu", "-n", "2")
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert f"PASSED {RELU}" in run.stdout


def test_a_users_own_test_grades_with_the_kb_grade_fixture(pairs, cache_dir):
    (pairs / "test_kernels.py").write_text(textwrap.dedent("""
        from harness import Status

        def test_relu_passes_on_the_gates_settings(kb_grade):
            verdict = kb_grade("solutions/level1/19_ReLU.py")
            assert verdict.passed, verdict.reason
            assert len(verdict.correctness.trials) == 2  # --kb-trials 2
            assert verdict.speedup_ci[0] <= verdict.speedup <= verdict.speedup_ci[1]

        def test_narrow_output_is_caught(kb_grade):
            verdict = kb_grade("solutions/level1/narrow.py", "problems/level1/19_ReLU.py", trials=1,
                               time_solution=False)
            assert verdict.status is Status.INCORRECT
            assert "output 0 has shape [3, 1000]" in verdict.reason and verdict.sol_timing is None
    """))
    run = gate(pairs, cache_dir, "test_kernels.py", "--kb-device", "cpu", "--kb-trials", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASSED test_kernels.py::test_relu_passes_on_the_gates_settings" in run.stdout
    assert "2 passed" in run.stdout
