"""Files written in KernelBench's own layout and conventions grade unchanged.

tests/fixtures/kernelbench/KernelBench/level1/<N>_<Name>.py is a problem as KernelBench writes one
(module-level size constants, get_inputs() building CPU tensors, get_init_inputs() returning a list,
no SMALL_SIZES or anything else of this repo's); runs/level1/<N>_<Name>.py is a solution as
KernelBench's examples write one (ModelNew holding a module from load_inline named like
`elementwise_add`, verbose=True and empty extra flags), here with a C++ CPU kernel.
"""
from __future__ import annotations

import ast

from conftest import ROOT, parse_single_json

KB = ROOT / "tests" / "fixtures" / "kernelbench"
PROBLEM = KB / "KernelBench" / "level1" / "90_Elementwise_add.py"
SOLUTION = KB / "runs" / "level1" / "90_Elementwise_add.py"


def test_fixture_files_follow_kernelbench_conventions():
    from harness.child.problem import load_problem

    tree = ast.parse(PROBLEM.read_text())
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}
    assert constants == {"batch_size", "dim"}          # sizes are plain module-level constants
    problem = load_problem(PROBLEM)
    assert isinstance(problem.get_init_inputs(), list)
    assert all(x.device.type == "cpu" for x in problem.get_inputs())
    solution = SOLUTION.read_text()
    assert "class ModelNew(nn.Module)" in solution and 'name="elementwise_add"' in solution
    assert "load_inline(" in solution and "cuda_sources" not in solution


def test_kernelbench_pair_grades_unchanged_on_cpu(kb):
    code, out, err = kb("grade", str(SOLUTION.relative_to(ROOT)), "--problem", str(PROBLEM.relative_to(ROOT)),
                        "--device", "cpu", "--json", "--timing", "quick", "--trials", "2")
    verdict = parse_single_json(out)
    assert code == 0, verdict["reason"] + "\n" + (verdict.get("detail") or "")
    assert verdict["status"] == "pass"
    assert [e["name"] for e in verdict["build"]["extensions"]] == ["elementwise_add"]
    assert verdict["correctness"]["outputs"] == ["float32[16, 4099]"]
    assert verdict["speedup"] > 0
