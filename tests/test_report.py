"""kb report on a fixed, small set of results records (plain JSON, the report's input), against numbers worked out
by hand: fast_p, ci_fast_p, pass@k and the geometric mean; contexts never pooled."""
from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys

import pytest

from conftest import ROOT
from harness import TIMING_PROFILES, GradeConfig
from harness.tools import report
from harness.tools.results import settings_of


def record(sample_id: str, status: str, speedup: float | None = None, ci: tuple[float, float] | None = None,
           timing: str = "quick") -> dict:
    """A record as ResultStore writes it (only the verdict fields the report reads)."""
    problem, _, sample = sample_id.partition("#")
    set_name, name = problem.split("/")
    settings = settings_of(GradeConfig(device="cuda", trials=5, timing=TIMING_PROFILES[timing]))
    return {"key": f"{sample_id}-{timing}", "id": sample_id, "set": set_name, "name": name, "sample": sample,
            "problem": f"problems/{problem}.py", "solution": f"runs/{sample_id}.py", "slot": "0",
            "graded_at": "2026-01-01T00:00:00Z", "settings": settings, "overrides": None,
            "card": "NVIDIA H100 80GB HBM3", "driver": "570.86.15", "torch": "2.11.0+cu130", "grader_version": "0.2.0",
            "verdict": {"passed": status == "pass", "status": status, "reason": f"{status} here",
                        "speedup": speedup, "speedup_ci": list(ci) if ci else None,
                        "ref_ms": 1.0 if speedup else None, "sol_ms": 1.0 / speedup if speedup else None}}


RECORDS = [
    record("level1/2_b#0", "pass", 5.0, (4.0, 6.0)),  # graded again below: the later record counts
    record("level1/1_a#0", "pass", 2.5, (2.2, 2.8)),
    record("level1/1_a#1", "pass", 1.2, (0.9, 1.5)),
    record("level1/1_a#2", "incorrect"),
    record("level1/1_a#3", "compile_error"),
    record("level1/1_a#4", "pass", 0.6, (0.55, 0.65)),
    record("level1/2_b#0", "runtime_error"),
    record("level2/3_c#0", "pass", 1.6, (1.55, 1.7)),
    *(record(f"level2/3_c#{i}", "incorrect") for i in range(1, 10)),
    record("level1/1_a#0", "pass", 3.0, (2.9, 3.1), timing="default"),  # another multirun point
]


def test_pass_at_k_is_the_unbiased_estimator():
    assert report.pass_at_k(5, 3, 1) == pytest.approx(0.6)
    assert report.pass_at_k(10, 1, 5) == pytest.approx(1 - 126 / 252)   # 1 - C(9,5)/C(10,5)
    assert report.pass_at_k(5, 3, 5) == 1.0 and report.pass_at_k(4, 0, 2) == 0.0
    assert report.pass_at_k(10, 2, 3) == pytest.approx(1 - 56 / 120)    # 1 - C(8,3)/C(10,3)
    with pytest.raises(ValueError):
        report.pass_at_k(4, 1, 5)


def test_summary_matches_hand_computed_values():
    quick, default = report.summarize(RECORDS)
    assert (quick.label, default.label) == ("timing=quick", "timing=default")  # never pooled
    level1, level2, overall = quick.rows
    assert [r.group for r in quick.rows] == ["level1", "level2", "overall"]

    # overall: 16 samples of 3 problems; passed 2.5, 1.2, 0.6 (1_a) and 1.6 (3_c); one compile error.
    assert (overall.samples, overall.problems) == (16, 3)
    assert overall.compiled == pytest.approx(15 / 16) and overall.correct == pytest.approx(4 / 16)
    assert overall.fast == pytest.approx({0.0: 4 / 16, 0.5: 4 / 16, 0.8: 3 / 16, 1.0: 3 / 16, 1.5: 2 / 16,
                                          2.0: 1 / 16})
    # By the interval's lower end: 2.2 and 1.55 clear 1 and 1.5; 1.2 [0.9, 1.5] does not clear 1.
    assert overall.ci_fast == pytest.approx({1.0: 2 / 16, 1.5: 2 / 16, 2.0: 1 / 16})
    # pass@1: 1_a 3/5, 2_b 0/1, 3_c 1/10; pass@5: 1_a 1 - C(2,5)/C(5,5) = 1, 3_c 0.5; pass@10: 3_c alone, 1.
    assert overall.pass_at == pytest.approx({1: (0.6 + 0 + 0.1) / 3, 5: 0.75, 10: 1.0})
    assert overall.geomean_speedup == pytest.approx((2.5 * 1.2 * 0.6 * 1.6) ** 0.25)
    assert overall.median_speedup == pytest.approx(1.4)

    assert (level1.samples, level1.problems, level1.correct) == (6, 2, pytest.approx(3 / 6))
    assert level1.fast[1.0] == pytest.approx(2 / 6) and level1.ci_fast[1.0] == pytest.approx(1 / 6)
    assert level1.pass_at == pytest.approx({1: 0.3, 5: 1.0, 10: None})
    assert level1.geomean_speedup == pytest.approx(math.exp((math.log(2.5) + math.log(1.2) + math.log(0.6)) / 3))
    assert (level2.samples, level2.pass_at[10], level2.fast[1.5]) == (10, 1.0, pytest.approx(0.1))

    only = default.rows[-1]
    assert (only.samples, only.correct, only.fast[2.0], only.pass_at[1], only.pass_at[5]) == (1, 1.0, 1.0, 1.0, None)


def test_a_grade_that_never_reached_the_device_counts_with_its_settings():
    stopped = record("level1/4_d#0", "compile_error")
    stopped.update(card=None, driver=None, torch=None)  # a build-only verdict names no device
    quick, default = report.summarize([*RECORDS, stopped])
    assert (quick.rows[-1].samples, quick.rows[-1].compiled) == (17, pytest.approx(15 / 17))
    assert default.rows[-1].samples == 1 and quick.context["card"] == "NVIDIA H100 80GB HBM3"

    other_card = record("level1/1_a#0", "pass", 2.0, (1.9, 2.1))
    other_card["card"] = "NVIDIA H200"  # the same settings on two cards: where it belongs is unknown
    assert [s.rows[-1].samples for s in report.summarize([*RECORDS, other_card, stopped])] == [16, 1, 1, 1]


def test_kb_report_writes_markdown_csv_per_sample_and_the_plot(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in RECORDS) + '{"torn": ')
    done = subprocess.run([sys.executable, "-m", "harness", "report", str(results)], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    sections = done.stdout.split("\n\n")
    assert len(sections) == 2
    assert sections[0].startswith("settings: device=cuda, timing=quick; card NVIDIA H100 80GB HBM3, driver "
                                  "570.86.15, torch 2.11.0+cu130, grader_version 0.2.0")
    header, *rows = sections[0].splitlines()[1:]
    assert header.split()[:8] == ["set", "samples", "problems", "compiled", "%", "correct", "%", "fast_0"]
    assert rows[-1].split()[:5] == ["overall", "16", "3", "93.8", "25.0"]

    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("## timing=quick\n") and "\n## timing=default\n" in markdown
    assert "| pass@1 % | pass@5 % | pass@10 % |" in markdown and "| ci_fast_1.5 % |" in markdown
    assert "| level1/1_a#4 | pass | 0.6 [0.55, 0.65] |" in markdown

    per_sample = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert len(per_sample) == 17  # 16 + 1: one row per sample and context
    first = per_sample[0]
    assert (first["id"], first["sample"], first["timing"], first["card"], first["status"]) == (
        "level1/1_a#0", "0", "quick", "NVIDIA H100 80GB HBM3", "pass")
    assert [r["timing"] for r in per_sample if r["id"] == "level1/1_a#0"] == ["quick", "default"]
    summary = list(csv.DictReader(io.StringIO((tmp_path / "summary.csv").read_text())))
    assert [(r["timing"], r["set"]) for r in summary] == [("quick", "level1"), ("quick", "level2"),
                                                          ("quick", "overall"), ("default", "level1"),
                                                          ("default", "overall")]
    assert summary[2]["pass@5 %"] == "75.0"
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_matches_samples_graded_under_the_same_settings(tmp_path):
    after = [record("level1/1_a#1", "incorrect"), record("level1/1_a#0", "pass", 4.0, (3.5, 4.5)),
             record("level1/1_a#0", "pass", 1.0, (0.9, 1.1), timing="default")]
    changes = report.compare(RECORDS, after)
    assert changes["newly broken"] == ["level1/1_a#1: incorrect: incorrect here"]
    assert changes["faster"] == ["level1/1_a#0: 2.5x -> 4x"]
    assert changes["slower"] == ["level1/1_a#0: 3x -> 1x"]
