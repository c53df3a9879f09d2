"""Shared helpers: real grades of real files, in real child processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from harness import TIMING_PROFILES, GradeConfig, Timeouts, Verdict, grade
from harness.wire.launch import RunningServer, running

# On a machine with N GPUs, `KB_TEST_SPREAD_GPUS=N pytest -n N -m cuda` pins each xdist worker (and the
# grades it starts) to a card of its own, before anything initialises CUDA.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if os.environ.get("KB_TEST_SPREAD_GPUS") and _WORKER.startswith("gw"):
    os.environ["CUDA_VISIBLE_DEVICES"] = str(int(_WORKER[2:]) % int(os.environ["KB_TEST_SPREAD_GPUS"]))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
RELU_PROBLEM = ROOT / "problems" / "level1" / "19_ReLU.py"
CONV_PROBLEM = ROOT / "problems" / "level1" / "56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py"


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; run on the GPU machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One build cache for the session (KB_TEST_CACHE_DIR keeps it across runs)."""
    kept = os.environ.get("KB_TEST_CACHE_DIR")
    return Path(kept) if kept else tmp_path_factory.mktemp("extensions")


@pytest.fixture(scope="session")
def fork_server(tmp_path_factory) -> Iterator[RunningServer]:
    """One `kb serve` for the session: grades given its socket fork their processes from it."""
    with running(tmp_path_factory.mktemp("server") / "server.sock") as server:
        yield server


@pytest.fixture(params=["spawned", "forked"])
def launch(request) -> dict:
    """Grade settings for each way a grade starts its processes: as fresh interpreters, or forked by a server."""
    return {"server": request.getfixturevalue("fork_server").socket} if request.param == "forked" else {}


@pytest.fixture
def grade_file(cache_dir):
    """grade(solution, problem) with the session cache, quick timing, and optional overrides."""

    def run(solution: Path, problem: Path | None = RELU_PROBLEM, **overrides) -> Verdict:
        settings = dict(device="cpu", trials=3, timing=TIMING_PROFILES["quick"], cache_dir=cache_dir)
        settings.update(overrides)
        return grade(solution, problem, GradeConfig(**settings))

    return run


@pytest.fixture
def kb(cache_dir):
    """Run the real `kb` command line; returns (exit code, stdout, stderr)."""

    def run(*args: str, timeout: float = 900, **environment: str) -> tuple[int, str, str]:
        env = dict(os.environ, KB_CACHE_DIR=str(cache_dir), **environment)
        done = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    return run


def line_of(path: Path, marker: str) -> int:
    """1-based line number of the first line of `path` containing `marker`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def quick_timeouts(**seconds: float) -> Timeouts:
    return Timeouts(**{**Timeouts().__dict__, **seconds})


def parse_single_json(stdout: str) -> dict:
    """The CLI promises exactly one JSON object on stdout."""
    decoder = json.JSONDecoder()
    value, end = decoder.raw_decode(stdout.strip())
    assert stdout.strip()[end:].strip() == "", "more than one JSON value on stdout"
    return value
