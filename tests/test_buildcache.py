"""The content-addressed build cache, exercised with real compiler runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from conftest import FIXTURES, ROOT, parse_single_json
from harness import Status

CPU = FIXTURES / "cpu"


def test_cached_regrade_compiles_nothing(grade_file, tmp_path):
    cache = tmp_path / "fresh-cache"
    first = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, cache_dir=cache)
    again = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", problem=None, cache_dir=cache)
    assert first.status is again.status is Status.PASS
    assert first.build.compiled_anything
    assert not again.build.compiled_anything
    assert [e.key for e in first.build.extensions] == [e.key for e in again.build.extensions]
    assert all(e.seconds < 5 for e in again.build.extensions)


def test_same_extension_name_with_different_code_never_shares_a_binary(grade_file):
    relu, double = CPU / "same_name_relu.py", CPU / "same_name_double.py"
    first = grade_file(relu, time_solution=False)
    other = grade_file(double, time_solution=False)
    again = grade_file(relu, time_solution=False)
    assert first.status is Status.PASS, first.reason
    assert other.status is Status.INCORRECT  # its own 2x kernel, not the cached ReLU
    assert again.status is Status.PASS, again.reason  # and ReLU did not pick up the 2x binary
    assert [e.name for e in first.build.extensions] == [e.name for e in other.build.extensions] == ["kb_ops"]
    assert first.build.extensions[0].key != other.build.extensions[0].key


def _salted_solution(folder: Path) -> Path:
    """A correct ReLU solution whose source no cache has seen, so it must compile."""
    path = folder / "salted.py"
    path.write_text(textwrap.dedent(f'''
        import torch.nn as nn
        from torch.utils.cpp_extension import load_inline

        source = """
        #include <torch/extension.h>
        // salt {uuid.uuid4().hex}
        torch::Tensor relu(torch::Tensor x) {{ return torch::clamp_min(x, 0); }}
        """
        ops = load_inline(name="salted", cpp_sources=source, functions=["relu"])


        class ModelNew(nn.Module):
            def forward(self, x):
                return ops.relu(x)
        '''))
    return path


def _kb_grade(solution: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "grade", str(solution), "--problem",
         str(ROOT / "problems" / "level1" / "19_ReLU.py"), "--device", "cpu", "--json", "--no-timing",
         "--trials", "2", "--cache-dir", str(cache)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_concurrent_grades_of_one_solution_build_once(tmp_path):
    solution, cache = _salted_solution(tmp_path), tmp_path / "cache"
    runs = [_kb_grade(solution, cache) for _ in range(2)]
    verdicts = [parse_single_json(run.communicate(timeout=900)[0]) for run in runs]
    assert [v["status"] for v in verdicts] == ["pass", "pass"]
    compiled = [e["cached"] for v in verdicts for e in v["build"]["extensions"]]
    assert sorted(compiled) == [False, True]


def test_a_build_killed_midway_blocks_nothing(tmp_path):
    solution, cache = _salted_solution(tmp_path), tmp_path / "cache"
    # Build through the cache directly in a process of its own, and kill it (and its compiler) mid-build.
    builder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from harness.child.buildcache import ExtensionCache; from pathlib import Path;"
         "ExtensionCache(Path(sys.argv[1]), None, False).install();"
         "import importlib.util as u; s = u.spec_from_file_location('m', sys.argv[2]); s.loader.exec_module("
         "u.module_from_spec(s))", str(cache), str(solution)],
        cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(cache.glob("tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(cache.glob("tmp-*")), "the build never started"
    time.sleep(2)
    os.killpg(builder.pid, signal.SIGKILL)
    builder.wait()
    assert not [p for p in cache.glob("salted-*") if (p / "kb-complete.json").exists()]

    run = _kb_grade(solution, cache)
    verdict = parse_single_json(run.communicate(timeout=900)[0])
    assert verdict["status"] == "pass", verdict["reason"]
    assert not list(cache.glob("tmp-*"))  # the leftover was cleared, not waited on


def test_extensions_built_in_the_constructor_are_built_by_the_build_stage(grade_file, tmp_path):
    verdict = grade_file(CPU / "builds_in_init.py", cache_dir=tmp_path / "cache", time_solution=False)
    assert verdict.status is Status.PASS, verdict.reason
    assert [(e.name, e.cached) for e in verdict.build.extensions] == [("built_in_init", False)]


def test_load_rebuilds_when_a_header_beside_the_sources_changes(grade_file, tmp_path):
    folder = tmp_path / "solution"
    folder.mkdir()
    (folder / "slope.h").write_text("#pragma once\nconstexpr float kSlope = 0.0f;\n")
    (folder / "relu.cpp").write_text(textwrap.dedent("""
        #include <torch/extension.h>
        #include "slope.h"
        torch::Tensor relu(torch::Tensor x) { return torch::where(x > 0, x, x * kSlope); }
        PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("relu", &relu); }
        """))
    (folder / "solution.py").write_text(textwrap.dedent("""
        from pathlib import Path

        import torch.nn as nn
        from torch.utils.cpp_extension import load

        ops = load("header_relu", [str(Path(__file__).with_name("relu.cpp"))])


        class ModelNew(nn.Module):
            def forward(self, x):
                return ops.relu(x)
        """))
    cache = tmp_path / "cache"
    first = grade_file(folder / "solution.py", cache_dir=cache, time_solution=False)
    assert first.status is Status.PASS, first.reason
    (folder / "slope.h").write_text("#pragma once\nconstexpr float kSlope = 0.5f;\n")  # now wrong for ReLU
    second = grade_file(folder / "solution.py", cache_dir=cache, time_solution=False)
    assert second.status is Status.INCORRECT, second.reason
    assert second.build.compiled_anything
