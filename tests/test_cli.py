"""The `kb` command line: exit codes, JSON on stdout, errors that say what to do."""
from __future__ import annotations

from conftest import parse_single_json


def test_pass_prints_one_json_object_and_exits_0(kb):
    code, out, err = kb("grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--json", "--timing", "quick")
    verdict = parse_single_json(out)
    assert code == 0, verdict["reason"]
    assert verdict["passed"] is True and verdict["status"] == "pass"
    for key in ("reason", "speedup", "ref_ms", "sol_ms", "build", "correctness", "sol_timing", "ref_timing"):
        assert key in verdict
    assert verdict["speedup"] == verdict["ref_ms"] / verdict["sol_ms"]


def test_graded_failure_exits_1_with_reason(kb):
    code, out, _ = kb("grade", "tests/fixtures/cpu/wrong_shape.py", "--problem", "problems/level1/19_ReLU.py",
                      "--device", "cpu", "--json", "--no-timing")
    verdict = parse_single_json(out)
    assert code == 1
    assert verdict["passed"] is False and verdict["status"] == "incorrect"
    assert "[3, 1000]" in verdict["reason"]


def test_noisy_solution_cannot_spoil_the_json(kb):
    code, out, _ = kb("grade", "tests/fixtures/cpu/noisy.py", "--problem", "problems/level1/19_ReLU.py",
                      "--device", "cpu", "--json", "--no-timing", "--allow-pure-torch")
    assert code == 0
    assert parse_single_json(out)["status"] == "pass"


def test_human_summary_names_status_timings_and_speedup(kb):
    code, out, _ = kb("grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--timing", "quick")
    assert code == 0
    assert out.startswith("PASS ")
    assert "speedup" in out and "reference" in out and "budget" in out


def test_missing_solution_exits_2_and_says_so(kb):
    code, out, _ = kb("grade", "solutions/level1/no_such_file.py", "--json")
    verdict = parse_single_json(out)
    assert code == 2 and verdict["status"] == "error"
    assert "does not exist" in verdict["reason"]


def test_bad_arguments_exit_2(kb):
    code, _, err = kb("grade", "solutions/level1/19_ReLU.py", "--device", "tpu")
    assert code == 2 and "invalid choice" in err
    code, _, err = kb("grade", "solutions/level1/19_ReLU.py", "--trials", "0")
    assert code == 2 and "--trials" in err
    code, _, err = kb("grade", "solutions/level1/19_ReLU.py", "--baseline", "jit")
    assert code == 2 and "--baseline" in err and "'eager', 'compile'" in err


def test_help_teaches_statuses_and_examples(kb):
    code, out, _ = kb("grade", "--help")
    assert code == 0
    for word in ("compile_error", "unsupported", "--problem", "--json", "examples:", "exit 2"):
        assert word in out


def test_build_warms_the_cache_and_reports_failures(kb):
    code, out, _ = kb("build", "solutions/level1/19_ReLU.py", "tests/fixtures/cpu/compile_error.py",
                      "--device", "cpu", "--jobs", "2")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("built ") and "relu_cpu" in lines[0]
    assert lines[1].startswith("compile_error ") and "compile_error.py:" in lines[1]
