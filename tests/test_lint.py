"""`kb lint`: real runs on the CPU. Weak problems are caught by the check meant for them; broken
ones are failed rows, not crashes; the shipped problems pass."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, parse_single_json

LINT = ROOT / "tests" / "fixtures" / "lint"

# fixture -> the check that must catch it (others may fail too: many weak problems are weak twice)
CAUGHT_BY = {
    "ignores_input": "input_sensitive",          # an output independent of one input
    "zero_after_mean": "rejects_zeros",          # reduction to size 1, then mean-subtraction: all zeros
    "rounding_noise": "rejects_zeros",           # true output ~1e-7, lost to fp32 rounding: the budget balloons
    "dropout_training": "deterministic",         # dropout in training mode
    "ignores_weights": "weights_sensitive",      # a Linear the forward never uses
    "default_layernorm": "weights_not_default",  # LayerNorm weight=1, bias=0 a solution can hard-code
    "integer_valued": "rejects_bf16",            # small integers are exact in bfloat16
    "near_identity": "rejects_passthrough",      # clamp(-50, 50) on randn
    "near_constant": "rejects_constant",         # 1 + 1e-6 x
    "sorted_permutation": "rejects_replay",      # sort(randperm) is the same every trial
    "heavy_no_small": "cpu_size",                # no SMALL_SIZES and 8.8 TFLOP: not run on the CPU
    "meta_item": "cpu_size",                     # no SMALL_SIZES, and .item() defeats the meta-device estimate
    "syntax_error": "loads",
    "no_get_inputs": "loads",
    "segfault": "runs",                          # the child died of SIGSEGV; the lint went on
}


@pytest.fixture(scope="module")
def fixture_lint():
    """One lint run over all fixtures (module scope: the same `kb` command line the kb fixture runs)."""
    files = [str(LINT / f"{name}.py") for name in [*CAUGHT_BY, "good_scaled_tanh"]]
    done = subprocess.run([sys.executable, "-m", "harness", "lint", *files, "--json", "--jobs", "2",
                           "--timeout", "240"], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    code, out, err = done.returncode, done.stdout, done.stderr
    records = parse_single_json(out)
    return code, {Path(r["problem"]).stem: r for r in records}, err


def test_every_fixture_gets_one_record_and_exit_1(fixture_lint):
    code, records, err = fixture_lint
    assert code == 1, err
    assert set(records) == {*CAUGHT_BY, "good_scaled_tanh"}


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_weak_problem_is_caught_by_its_check(fixture_lint, name):
    record = fixture_lint[1][name]
    assert record["status"] == "fail"
    assert CAUGHT_BY[name] in record["failed"], record["checks"]
    reason = next(c["reason"] for c in record["checks"] if c["name"] == CAUGHT_BY[name])
    assert reason  # every failed check says why in one line
    assert "\n" not in reason


def test_strong_fixture_passes_every_check(fixture_lint):
    record = fixture_lint[1]["good_scaled_tanh"]
    assert record["status"] == "pass", record["checks"]
    names = {c["name"] for c in record["checks"]}
    assert {"loads", "deterministic", "input_sensitive", "weights_sensitive", "weights_not_default",
            "rejects_zeros", "rejects_constant", "rejects_passthrough", "rejects_bf16", "rejects_replay"} <= names
    assert record["sizes"].startswith("small")
    assert record["work"]["flops"] == 2 * 64 * 128 * 96  # full size, counted on the meta device
    assert record["work"]["outputs"] == ["float32[64, 96]"]


def test_default_layernorm_is_still_input_and_weight_sensitive(fixture_lint):
    """Only weights_not_default catches it: a default LayerNorm depends on its input and its weights."""
    record = fixture_lint[1]["default_layernorm"]
    assert record["failed"] == ["weights_not_default"]


def test_a_problem_whose_size_cannot_be_estimated_is_not_run_at_full_size_and_says_so(fixture_lint):
    record = fixture_lint[1]["meta_item"]
    assert record["failed"] == ["cpu_size"] and [c["name"] for c in record["checks"]] == ["cpu_size"]
    assert "could not be estimated" in record["checks"][0]["reason"] and record["sizes"].startswith("not run")
    assert any("could not estimate full-size work" in w for w in record["warnings"])
    assert not any("linted at full size" in w for w in record["warnings"])
    heavy = fixture_lint[1]["heavy_no_small"]
    assert heavy["sizes"].startswith("not run") and not any("linted at full size" in w for w in heavy["warnings"])


def test_syntax_error_names_the_line(fixture_lint):
    reason = fixture_lint[1]["syntax_error"]["checks"][0]["reason"]
    assert "SyntaxError" in reason and "line 7" in reason


def test_hang_is_a_timed_out_row(kb):
    code, out, _ = kb("lint", str(LINT / "hangs.py"), str(LINT / "good_scaled_tanh.py"), "--timeout", "20")
    assert code == 1
    assert "timed out after 20 s" in out
    assert "lint/good_scaled_tanh" in out and "2 problems: 1 pass, 1 fail" in out


def test_every_shipped_problem_passes(kb):
    """Every problems/*/*.py passes at its SMALL_SIZES (a few minutes on two cores)."""
    code, out, err = kb("lint", "--jobs", "2", timeout=3600)
    assert code == 0, out + err
    summary = out.splitlines()[-1]
    assert " 0 fail" in summary and int(summary.split()[0]) >= 90, summary


def test_bad_input_exits_2(kb, tmp_path):
    code, _, err = kb("lint", "problems/level9/nothing_here.py")
    assert code == 2 and "does not exist" in err
    code, _, err = kb("lint", str(tmp_path))
    assert code == 2 and "no problem files" in err


def test_cuda_without_cuda_exits_2(kb):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = kb("lint", "problems/level1/19_ReLU.py", "--device", "cuda")
    assert code == 2 and "no CUDA device" in err


def test_help_teaches_checks_and_exit_codes(kb):
    code, out, _ = kb("lint", "--help")
    assert code == 0
    for word in ("rejects_bf16", "input_sensitive", "--device", "--full", "--json", "exit codes", "SMALL_SIZES"):
        assert word in out


def test_lint_problem_api_in_process():
    from harness.child.lint import LintReport, lint_problem

    report = lint_problem(LINT / "ignores_input.py")
    assert isinstance(report, LintReport)
    assert report.status == "fail" and [c.name for c in report.failed] == ["input_sensitive"]


def test_forward_that_updates_buffers_is_still_deterministic():
    """BatchNorm in training mode updates its running statistics: not randomness."""
    from harness.child.lint import lint_problem

    report = lint_problem(LINT / "batchnorm_running_stats.py")
    assert report.status == "pass", [(c.name, c.reason) for c in report.failed]
