"""Sweeps with kb-sweep (Hydra), resumable results, exit statuses, and kb report — on the CPU, real processes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from harness import TIMING_PROFILES, GradeConfig
from harness.tools import report
from harness.tools.results import ResultStore
from harness.tools.samples import find_samples
from harness.tools.sweep import sweep

SMOKE_IDS = ["level1/19_ReLU", "level1/23_Softmax"]


def kb_sweep(tmp: Path, cache: Path, *overrides: str, multirun: bool = False) -> subprocess.Popen:
    """The installed console script, from the repository root, writing only under `tmp`."""
    script = Path(sys.executable).with_name("kb-sweep")
    settings = {"device": "cpu", "timing": "quick", "trials": "2", "results": f"{tmp}/results.jsonl",
                "cache_dir": str(cache), "hydra.run.dir": f"{tmp}/hydra", "hydra.sweep.dir": f"{tmp}/hydra-m"}
    settings.update(override.split("=", 1) for override in overrides)
    return subprocess.Popen([str(script), *(["-m"] if multirun else []), *(f"{k}={v}" for k, v in settings.items())],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_killed_sweep_resumes_without_regrading_or_losing_anything(tmp_path, cache_dir):
    results = tmp_path / "results.jsonl"
    first = kb_sweep(tmp_path, cache_dir)
    deadline = time.monotonic() + 600
    while not (results.exists() and results.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()[0]
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # midway: one sample recorded, the other being graded
    first.wait()
    kept = lines(results)
    assert len(kept) == 1

    second = kb_sweep(tmp_path, cache_dir)
    out = second.communicate(timeout=600)[0]
    assert second.returncode == 0, out
    assert "2 samples, 1 already graded, 1 graded now" in out
    records = lines(results)
    assert sorted(r["id"] for r in records) == SMOKE_IDS  # each sample exactly once
    assert records[0] == kept[0]  # the finished record was neither regraded nor rewritten
    assert all(r["verdict"]["status"] == "pass" for r in records)

    third = kb_sweep(tmp_path, cache_dir)
    assert "2 already graded, 0 graded now" in third.communicate(timeout=600)[0]
    assert third.returncode == 0
    job_log = next((tmp_path / "hydra").glob("*.log")).read_text()  # the summary goes through logging
    assert "2 already graded, 0 graded now" in job_log, job_log

    done = subprocess.run([sys.executable, "-m", "harness", "report", str(results)], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("settings: device=cpu, trials=2, timing=quick; card cpu, ")
    assert done.stdout.splitlines()[2].split()[:5] == ["level1", "2", "2", "100.0", "100.0"]
    markdown = (tmp_path / "report.md").read_text()
    assert "| set | samples | problems |" in markdown
    assert "| level1/19_ReLU | pass |" in markdown and "| roofline fraction |" in markdown  # one row per sample
    assert len((tmp_path / "report.csv").read_text().splitlines()) == 3
    assert "fast_1.5 %" in (tmp_path / "summary.csv").read_text()
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_multirun_sweeps_each_setting(tmp_path, cache_dir):
    run = kb_sweep(tmp_path, cache_dir, "timing=quick,default", "problems.names=[19_ReLU]", multirun=True)
    out = run.communicate(timeout=600)[0]
    assert run.returncode == 0, out
    records = lines(tmp_path / "results.jsonl")
    assert [r["id"] for r in records] == ["level1/19_ReLU"] * 2
    assert records[0]["key"] != records[1]["key"]  # the timing profile is part of the key
    sections = report.summarize(records)  # and of the context: the two points are not pooled
    assert [(s.label, s.rows[-1].samples) for s in sections] == [("timing=quick", 1), ("timing=default", 1)]


def test_a_sweep_with_a_sample_that_fails_runs_every_point_then_exits_1(tmp_path, cache_dir):
    solutions = tmp_path / "solutions" / "level1"
    solutions.mkdir(parents=True)
    shutil.copy(FIXTURES / "cpu" / "no_modelnew.py", solutions / "19_ReLU.py")
    run = kb_sweep(tmp_path, cache_dir, "timing=quick,default", "problems.names=[19_ReLU]",
                   f"solutions={tmp_path / 'solutions'}", f"problems_dir={ROOT / 'problems'}", multirun=True)
    out = run.communicate(timeout=600)[0]
    assert run.returncode == 1, out
    assert [r["verdict"]["status"] for r in lines(tmp_path / "results.jsonl")] == ["load_error"] * 2
    again = kb_sweep(tmp_path, cache_dir, "problems.names=[19_ReLU]", f"solutions={tmp_path / 'solutions'}",
                     f"problems_dir={ROOT / 'problems'}")
    out = again.communicate(timeout=600)[0]
    assert again.returncode == 1 and "1 already graded, 0 graded now" in out, out  # recorded failures still count


@pytest.mark.parametrize("overrides, said", [
    (["trials=0"], "trials must be at least 1, not 0"),  # a range: configure's, as for every front end
    (["trials=three"], "trials: Value 'three' of type 'str' could not be converted to Integer"),  # the schema's type
    (["device=tpu"], "device: Invalid value 'tpu', expected one of [auto, cuda, cpu]"),
    (["trails=3"], "trails: Key 'trails' not in 'SweepConfig'; did you mean 'trials'?"),
    (["timing.max_secs=2"], "did you mean 'timing.max_seconds'?"),
    (["timing=fast"], "timing=fast: no such option; timing takes default, precise, quick"),
    (["timing.max_seconds=-1"], "timing.max_seconds must be above 0, not -1.0"),
    (["-m", "trials=2,three"], "trials: Value 'three'"),  # every point of a multirun is composed before any runs
    (["problems_dir=no_such_folder"], "problems folder no_such_folder does not exist"),
    (["problems.names=[19_RelU]"], "solutions/level1/19_RelU.py does not exist"),
])
def test_a_sweep_with_a_bad_setting_exits_2_in_one_line_before_grading(tmp_path, cache_dir, overrides, said):
    run = kb_sweep(tmp_path, cache_dir, *(o for o in overrides if o != "-m"), multirun="-m" in overrides)
    out = run.communicate(timeout=300)[0]
    assert run.returncode == 2, out
    told = [line for line in out.splitlines() if line.strip()]
    assert len(told) == 1 and said in told[0], out
    assert not (tmp_path / "results.jsonl").exists()


def test_a_timing_field_overrides_its_profile_and_each_point_records_its_overrides(tmp_path, cache_dir):
    """timing=quick with its fields changed (no `+`): loops that cannot settle stop at timing.max_seconds, or at
    timing.max_calls where that comes first."""
    run = kb_sweep(tmp_path, cache_dir, "spot_checks=0", "timing.target_rel_width=0.000001", "timing.min_calls=3",
                   "timing.max_calls=12", "timing.max_seconds=0.001,1000", "problems.names=[19_ReLU]", multirun=True)
    out = run.communicate(timeout=600)[0]
    assert run.returncode == 0, out
    records = {limit: r for r in lines(tmp_path / "results.jsonl")
               for limit in r["overrides"] if limit.startswith("timing.max_seconds=")}
    assert sorted(records) == ["timing.max_seconds=0.001", "timing.max_seconds=1000"]
    for limit, calls in (("timing.max_seconds=0.001", 3), ("timing.max_seconds=1000", 12)):
        verdict = records[limit]["verdict"]
        assert verdict["status"] == "pass", verdict["reason"]
        loops = [loop["calls"] for t in ("ref_timing", "sol_timing") for loop in verdict[t]["loops"]]
        assert loops == [calls] * 3, (limit, loops)  # the reference's two loops and the solution's
        assert {"timing=quick", "device=cpu", "spot_checks=0"} <= set(records[limit]["overrides"])

    for job in sorted((tmp_path / "hydra-m").glob("[0-9]")):  # one folder per point: overrides, summary, log
        overrides = (job / ".hydra" / "overrides.yaml").read_text()
        summary = json.loads((job / "sweep.json").read_text())
        record = next(r for limit, r in records.items() if f"- {limit}\n" in overrides)
        assert summary["keys"] == [record["key"]] and summary["graded"] == 1
        assert summary["results"] == str(tmp_path / "results.jsonl")
        summary_line = "level1: 1 samples, 0 already graded, 1 graded now, 1 of those passed"
        assert summary_line in (job / "sweep_app.log").read_text()


def test_submitit_local_launcher_runs_the_sweep_jobs(tmp_path, cache_dir):
    run = kb_sweep(tmp_path, cache_dir, "hydra/launcher=submitit_local", "timing=quick,default",
                   "problems.names=[19_ReLU]", multirun=True)
    out = run.communicate(timeout=900)[0]
    assert run.returncode == 0, out
    assert "Submitit 'local' sweep output dir" in out
    records = lines(tmp_path / "results.jsonl")
    assert sorted(r["verdict"]["status"] for r in records) == ["pass", "pass"]


def test_slurm_launcher_config_composes():
    script = Path(sys.executable).with_name("kb-sweep")
    done = subprocess.run([str(script), "--cfg", "hydra", "hydra/launcher=slurm", "hydra.launcher.partition=gpu"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "_target_: hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher" in done.stdout
    assert "gpus_per_node: 8" in done.stdout and "partition: gpu" in done.stdout


def test_report_compare_names_a_newly_broken_pair(tmp_path, cache_dir):
    config = GradeConfig(device="cpu", trials=2, timing=TIMING_PROFILES["quick"], cache_dir=cache_dir)
    before = ResultStore(tmp_path / "before.jsonl")
    sweep(find_samples([str(ROOT / "solutions" / "level1" / "19_ReLU.py")]), config, before)

    broken = tmp_path / "solutions" / "level1"
    broken.mkdir(parents=True)
    shutil.copy(FIXTURES / "cpu" / "wrong_shape.py", broken / "19_ReLU.py")
    shutil.copy(FIXTURES / "cpu" / "faulty_ops.cpp", broken)
    after = ResultStore(tmp_path / "after.jsonl")
    summary = sweep(find_samples([str(tmp_path / "solutions")], ROOT / "problems"), config, after)
    assert (summary.graded, summary.passed, summary.not_passed) == (1, 0, 1)

    changes = report.compare(before.records(), after.records())
    assert len(changes["newly broken"]) == 1
    assert changes["newly broken"][0].startswith("level1/19_ReLU: incorrect: trial 1")
    assert changes["newly fixed"] == [] and changes["faster"] == []
    rows = report.summarize(after.records())[0].rows
    assert (rows[-1].group, rows[-1].correct, rows[-1].fast[0.0]) == ("overall", 0.0, 0.0)


def _gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@pytest.mark.cuda
@pytest.mark.skipif(_gpu_count() < 2, reason="needs two GPUs")
def test_two_gpu_sweep_grades_on_both_cards(tmp_path, cache_dir):
    """Four CUDA samples, two grading workers pinned to cards 0 and 1: both cards grade, all pass."""
    for name in ("a", "b", "c", "d"):
        (tmp_path / "problems" / "gpu").mkdir(parents=True, exist_ok=True)
        (tmp_path / "solutions" / "gpu").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "problems" / "level1" / "19_ReLU.py", tmp_path / "problems" / "gpu" / f"{name}.py")
        shutil.copy(FIXTURES / "cuda" / "relu_cuda.py", tmp_path / "solutions" / "gpu" / f"{name}.py")
    samples = find_samples([str(tmp_path / "solutions")], tmp_path / "problems")
    config = GradeConfig(device="cuda", trials=2, sizes="small", timing=TIMING_PROFILES["quick"], cache_dir=cache_dir)
    store = ResultStore(tmp_path / "results.jsonl")
    summary = sweep(samples, config, store, build_jobs=2, slots=["0", "1"])
    records = list(store.records())
    assert summary.graded == 4 and summary.passed == 4, [r["verdict"]["reason"] for r in records]
    assert {r["slot"] for r in records} == {"0", "1"}


def test_a_sweep_with_a_fork_server_forks_its_grades_and_keys_them_as_without(tmp_path, cache_dir, monkeypatch):
    solutions = tmp_path / "solutions" / "level1"
    solutions.mkdir(parents=True)
    shutil.copy(FIXTURES / "cpu" / "reports_parent.py", solutions / "19_ReLU.py")
    parents = tmp_path / "parents"
    monkeypatch.setenv("KB_TEST_PARENTS", str(parents))
    forked = kb_sweep(tmp_path, cache_dir, "fork_server=true", "problems.names=[19_ReLU]",
                      f"solutions={tmp_path / 'solutions'}", f"problems_dir={ROOT / 'problems'}")
    out = forked.communicate(timeout=600)[0]
    assert forked.returncode == 0, out
    assert [r["verdict"]["status"] for r in lines(tmp_path / "results.jsonl")] == ["pass"]
    server = parents.read_text().split()
    # Three imports, one parent: the sweep's build, then the grade's build and solution process.
    assert len(server) == 3 and len(set(server)) == 1 and int(server[0]) != forked.pid
    again = kb_sweep(tmp_path, cache_dir, "problems.names=[19_ReLU]", f"solutions={tmp_path / 'solutions'}",
                     f"problems_dir={ROOT / 'problems'}")
    assert "1 already graded, 0 graded now" in again.communicate(timeout=600)[0]
