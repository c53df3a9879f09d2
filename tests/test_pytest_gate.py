"""The pytest gate (harness.tools.pytest_plugin), run as a real pytest in a real folder of pairs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, RELU_PROBLEM, ROOT


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """solutions/level1/{19_ReLU,narrow}.py paired with problems/level1/ by name."""
    (tmp_path / "solutions" / "level1").mkdir(parents=True)
    (tmp_path / "problems" / "level1").mkdir(parents=True)
    for name in ("19_ReLU", "narrow"):
        shutil.copy(RELU_PROBLEM, tmp_path / "problems" / "level1" / f"{name}.py")
    shutil.copy(ROOT / "solutions" / "level1" / "19_ReLU.py", tmp_path / "solutions" / "level1")
    shutil.copy(FIXTURES / "cpu" / "wrong_shape.py", tmp_path / "solutions" / "level1" / "narrow.py")
    shutil.copy(FIXTURES / "cpu" / "faulty_ops.cpp", tmp_path / "solutions" / "level1")
    return tmp_path


def gate(folder: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KB_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "pytest", "--kb-solutions", "solutions", "--kb-timing", "quick",
                           "-p", "no:cacheprovider", "-rA", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=900)


def test_one_test_per_pair_failing_with_the_reason(pairs, cache_dir, launch):
    run = gate(pairs, cache_dir, "--kb-device", "cpu", *([f"--kb-server={launch['server']}"] if launch else []))
    assert run.returncode == 1, run.stdout
    assert "PASSED ::level1/19_ReLU" in run.stdout
    assert "FAILED ::level1/narrow" in run.stdout
    assert "incorrect: trial 1 of 5: output 0 has shape [3, 1000], expected [3, 1001]" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_min_speedup_fails_slow_pairs(pairs, cache_dir):
    run = gate(pairs, cache_dir, "--kb-device", "cpu", "--kb-min-speedup", "1000", "-k", "19_ReLU")
    assert run.returncode == 1
    assert "too slow:" in run.stdout and "below --kb-min-speedup 1000" in run.stdout


def test_absent_device_skips_with_the_reason(pairs, cache_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    run = gate(pairs, cache_dir, "--kb-device", "cuda")
    assert run.returncode == 0
    assert "2 skipped" in run.stdout and "torch sees no CUDA device" in run.stdout


def test_runs_under_xdist(pairs, cache_dir):
    run = gate(pairs, cache_dir, "--kb-device", "cpu", "-n", "2")
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
