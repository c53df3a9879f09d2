"""The package as a user installs it: a wheel built from the checkout, installed into a fresh virtual environment
and used from a folder outside the checkout (kb grade, kb-sweep with the Hydra config the wheel carries, the
pytest gate, kb --version).

The fresh environment takes torch and the other third-party packages from the one running the tests (a path
added to it, whose .pth files are not run, so this checkout's editable install stays out of it): the wheel,
its config and its entry points are what is tested, without downloading torch again.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, parse_single_json


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    borrowed = [path for path in sys.path if path.endswith(("site-packages", "dist-packages"))]
    (site / "borrowed.pth").write_text("".join(f"{path}\n" for path in borrowed))
    wheel = next((work / "dist").glob("kb_grader-*.whl"))
    done = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin"


@pytest.fixture
def outside(tmp_path, cache_dir) -> tuple[Path, dict]:
    """A folder away from the checkout with a copy of one pair, and an environment without the checkout in it."""
    for folder in ("solutions", "problems"):
        (tmp_path / folder / "level1").mkdir(parents=True)
        shutil.copy(ROOT / folder / "level1" / "19_ReLU.py", tmp_path / folder / "level1")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return tmp_path, dict(env, KB_CACHE_DIR=str(cache_dir))


def test_the_installed_wheel_grades_sweeps_and_gates_outside_the_checkout(installed, outside):
    folder, env = outside

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env, timeout=900)

    where = run(str(installed / "python"), "-c", "import harness; print(harness.__file__)")
    assert str(installed.parent) in where.stdout and str(ROOT) not in where.stdout, where.stdout + where.stderr

    version = run(str(installed / "kb"), "--version")
    assert version.returncode == 0 and version.stdout.startswith("kb "), version.stderr

    graded = run(str(installed / "kb"), "grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--timing",
                 "quick", "--json")
    verdict = parse_single_json(graded.stdout)
    assert graded.returncode == 0 and verdict["status"] == "pass", verdict["reason"]
    assert verdict["grader_version"] == version.stdout.split()[1]

    swept = run(str(installed / "kb-sweep"), "device=cpu", "problems.names=[19_ReLU]", "timing=quick",
                "results=results.jsonl")
    assert swept.returncode == 0, swept.stdout + swept.stderr[-2000:]
    assert "1 samples" in swept.stdout and (folder / "results.jsonl").is_file()

    gated = run(str(installed / "python"), "-m", "pytest", "solutions", "--kb-device", "cpu",
                "--kb-timing", "quick", "-p", "no:cacheprovider")
    assert gated.returncode == 0 and "1 passed" in gated.stdout, gated.stdout[-2000:]
