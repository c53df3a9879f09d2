"""Which samples a batch grades (harness.tools.samples), and batch `kb grade`: every form of input, bad input
stopped before anything is graded, one record per sample, a killed batch resumed without regrading."""
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
from harness import BadInput
from harness.tools.samples import find_samples

PROBLEMS = ROOT / "problems"
RELU = ROOT / "solutions" / "level1" / "19_ReLU.py"
SOFTMAX = ROOT / "solutions" / "level1" / "23_Softmax.py"
ATTENTION = "10_Matmul_Scale_Softmax_Matmul_Attention"


def kernelbench(tmp: Path) -> Path:
    """A KernelBench/ folder as KernelBench lays it out (levelN/<number>_<name>.py), from our problem files."""
    folder = tmp / "KernelBench"
    for level, name in (("level1", "19_ReLU"), ("level1", "23_Softmax"), ("level2", ATTENTION)):
        (folder / level).mkdir(parents=True, exist_ok=True)
        shutil.copy(PROBLEMS / level / f"{name}.py", folder / level / f"{name}.py")
    return folder


def run_folder(tmp: Path, files: dict[str, Path]) -> Path:
    """A KernelBench run folder: level_<L>_problem_<N>_sample_<S>_kernel.py files, and what they read beside."""
    run = tmp / "runs" / "my_run"
    run.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, run / name)
    shutil.copy(FIXTURES / "cpu" / "faulty_ops.cpp", run)
    (run / "eval_results.json").write_text("{}")  # KernelBench writes other files beside: not samples
    return run


def ids(samples) -> list[str]:
    return [s.id for s in samples]


def test_a_kernelbench_run_folder_pairs_each_sample_with_its_numbered_problem(tmp_path):
    problems = kernelbench(tmp_path)
    files = {f"level_1_problem_{n}_sample_{s}_kernel.py": RELU for n in (19, 23) for s in (0, 1, 2)}
    run = run_folder(tmp_path, files | {"level_2_problem_10_sample_10_kernel.py": RELU,
                                        "level_2_problem_10_sample_9_kernel.py": RELU})
    samples = find_samples([str(run)], problems)
    assert ids(samples) == ["level1/19_ReLU#0", "level1/19_ReLU#1", "level1/19_ReLU#2", "level1/23_Softmax#0",
                            "level1/23_Softmax#1", "level1/23_Softmax#2", f"level2/{ATTENTION}#9",
                            f"level2/{ATTENTION}#10"]
    assert samples[3].problem == problems / "level1" / "23_Softmax.py"
    assert samples[3].solution == run / "level_1_problem_23_sample_0_kernel.py"
    assert (samples[0].set, samples[0].name, samples[0].sample) == ("level1", "19_ReLU", "0")


def test_our_layout_pairs_by_set_and_name_from_a_folder_a_file_or_a_glob(tmp_path):
    assert ids(find_samples([str(ROOT / "solutions" / "level1")])) == sorted(
        (f"level1/{p.stem}" for p in (ROOT / "solutions" / "level1").glob("*.py")),
        key=lambda i: int(i.split("/")[1].split("_")[0]))
    both = find_samples([str(RELU), str(ROOT / "solutions" / "level1" / "2*.py")])
    assert ids(both) == ["level1/19_ReLU", "level1/23_Softmax"]
    assert both[0].problem.resolve() == PROBLEMS / "level1" / "19_ReLU.py" and both[0].sample == ""
    # A folder of solutions anywhere, with the problems named: <problems>/<set>/<name>.py.
    mine = tmp_path / "attempts" / "level1"
    mine.mkdir(parents=True)
    shutil.copy(RELU, mine / "19_ReLU.py")
    (mine / "__init__.py").write_text("")  # names starting with _ are not solutions
    assert [(s.id, s.problem) for s in find_samples([str(tmp_path / "attempts")], PROBLEMS)] == [
        ("level1/19_ReLU", PROBLEMS / "level1" / "19_ReLU.py")]


def test_a_manifest_lists_problem_solution_and_sample_relative_to_itself(tmp_path):
    shutil.copy(RELU, tmp_path / "a.py")
    shutil.copy(SOFTMAX, tmp_path / "b.py")
    problem = os.path.relpath(PROBLEMS / "level1" / "19_ReLU.py", tmp_path)
    jsonl = tmp_path / "samples.jsonl"
    jsonl.write_text(json.dumps({"problem": problem, "solution": "a.py", "sample": 0}) + "\n\n"
                     + json.dumps({"problem": problem, "solution": "b.py", "sample": "t0.8-1", "model": "x"}) + "\n")
    samples = find_samples([str(jsonl)])
    assert ids(samples) == ["level1/19_ReLU#0", "level1/19_ReLU#t0.8-1"]
    assert samples[1].solution == tmp_path / "b.py"
    table = tmp_path / "samples.csv"
    table.write_text(f"problem,solution,sample\n{problem},a.py,3\n{problem},b.py,4\n")
    assert ids(find_samples([str(table)])) == ["level1/19_ReLU#3", "level1/19_ReLU#4"]


@pytest.mark.parametrize("case, message", [
    ("missing path", "does not exist"),
    ("glob of nothing", "matches no file"),
    ("missing problems folder", "problems folder"),
    ("run file without --problems", "--problems DIR"),
    ("problem number not found", "problem 7 of level 1"),
    ("level folder not found", "has no level3/"),
    ("solution without problem", "no problem file"),
    ("manifest line not JSON", "samples.jsonl:2: not JSON"),
    ("manifest line without solution", "samples.jsonl:1: no solution"),
    ("manifest file missing", "samples.jsonl:1: solution file"),
    ("csv without its columns", "header must name the columns"),
    ("two files, one id", "would both be recorded as level1/19_ReLU"),
])
def test_bad_input_is_refused_naming_what_and_how(tmp_path, case, message):
    problems = kernelbench(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    manifest = tmp_path / "samples.jsonl"
    other = tmp_path / "other" / "level1"
    other.mkdir(parents=True)
    shutil.copy(SOFTMAX, other / "19_ReLU.py")
    args: tuple[list[str], Path | None] = {
        "missing path": ([str(tmp_path / "nowhere")], None),
        "glob of nothing": ([str(tmp_path / "*.nothing")], None),
        "missing problems folder": ([str(RELU)], tmp_path / "no_problems"),
        "run file without --problems": ([str(run / "level_1_problem_19_sample_0_kernel.py")], None),
        "problem number not found": ([str(run / "level_1_problem_7_sample_0_kernel.py")], problems),
        "level folder not found": ([str(run / "level_3_problem_1_sample_0_kernel.py")], problems),
        "solution without problem": ([str(run / "mine.py")], problems),
        "manifest line not JSON": ([str(manifest)], None),
        "manifest line without solution": ([str(manifest)], None),
        "manifest file missing": ([str(manifest)], None),
        "csv without its columns": ([str(tmp_path / "samples.csv")], None),
        "two files, one id": ([str(RELU), str(other / "19_ReLU.py")], PROBLEMS),
    }[case]
    for name in ("level_1_problem_19_sample_0_kernel.py", "level_1_problem_7_sample_0_kernel.py",
                 "level_3_problem_1_sample_0_kernel.py", "mine.py"):
        shutil.copy(RELU, run / name)
    problem = str(PROBLEMS / "level1" / "19_ReLU.py")
    manifest.write_text({
        "manifest line not JSON": json.dumps({"problem": problem, "solution": str(RELU)}) + "\n{problem: x}\n",
        "manifest line without solution": json.dumps({"problem": problem}) + "\n",
        "manifest file missing": json.dumps({"problem": problem, "solution": "gone.py"}) + "\n",
    }.get(case, ""))
    (tmp_path / "samples.csv").write_text("problem,kernel\nx,y\n")
    with pytest.raises(BadInput, match=message.replace("(", r"\(")):
        find_samples(*args)


def test_batch_grade_refuses_bad_input_with_exit_2_before_grading_anything(kb, tmp_path):
    problems = kernelbench(tmp_path)
    run = run_folder(tmp_path, {"level_1_problem_19_sample_0_kernel.py": RELU,
                                "level_1_problem_99_sample_0_kernel.py": RELU})
    results = tmp_path / "results.jsonl"
    for args, said in [
        ((str(run), "--problems", str(problems)), "problem 99 of level 1"),
        ((str(run), "--problems", str(tmp_path / "KernelBenchh")), "problems folder"),
        ((str(run),), "--problems DIR"),
        ((str(RELU), str(SOFTMAX), "--problem", str(PROBLEMS / "level1" / "19_ReLU.py")), "--problem pairs one"),
        ((str(run), "--problems", str(problems), "--device", "tpu"), "--device"),
        ((str(run), "--problems", str(problems), "--device", "cpu", "--trials", "0"), "--trials"),
    ]:
        code, out, err = kb("grade", *args, "--results", str(results), timeout=120)
        assert code == 2, (args, out, err)
        assert said in err.strip().splitlines()[-1], err  # one clear line (argparse's usage above it)
        assert out == "" and not results.exists()


def kb_grade(tmp: Path, cache: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", "grade", *args, "--device", "cpu", "--timing", "quick",
                             "--trials", "2", "--cache-dir", str(cache), "--results", str(tmp / "results.jsonl")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_killed_batch_over_a_run_folder_resumes_without_regrading(tmp_path, cache_dir):
    """Three samples of one problem (two of them the same text) and a wrong one: four records, each sample
    once, the ones recorded before the kill kept as they were; exit 1 for the wrong one, on every run."""
    problems = kernelbench(tmp_path)
    run = run_folder(tmp_path, {"level_1_problem_19_sample_0_kernel.py": RELU,
                                "level_1_problem_19_sample_1_kernel.py": RELU,
                                "level_1_problem_19_sample_2_kernel.py": FIXTURES / "cpu" / "wrong_values.py",
                                "level_1_problem_23_sample_0_kernel.py": SOFTMAX})
    results = tmp_path / "results.jsonl"
    first = kb_grade(tmp_path, cache_dir, str(run), "--problems", str(problems))
    deadline = time.monotonic() + 600
    while not (results.exists() and results.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    kept = records(results)
    assert 1 <= len(kept) < 4

    second = kb_grade(tmp_path, cache_dir, str(run), "--problems", str(problems), "--json")
    out, err = second.communicate(timeout=900)
    assert second.returncode == 1, err
    assert f"4 sample(s): {4 - len(kept)} graded now, {len(kept)} recorded before" in err
    printed = [json.loads(line) for line in out.splitlines()]  # one JSON record per sample, in order
    assert [r["id"] for r in printed] == ["level1/19_ReLU#0", "level1/19_ReLU#1", "level1/19_ReLU#2",
                                          "level1/23_Softmax#0"]
    stored = records(results)
    assert sorted(r["id"] for r in stored) == sorted(r["id"] for r in printed)  # each sample once
    assert stored[:len(kept)] == kept  # what was recorded was neither regraded nor rewritten
    status = {r["id"]: r["verdict"]["status"] for r in stored}
    assert status == {"level1/19_ReLU#0": "pass", "level1/19_ReLU#1": "pass", "level1/19_ReLU#2": "incorrect",
                      "level1/23_Softmax#0": "pass"}
    for record in stored:  # each record carries its context
        assert record["sample"] == record["id"].split("#")[1]
        assert record["problem"] == str(problems / "level1" / f"{record['name']}.py")
        assert record["settings"]["device"] == "cpu" and record["settings"]["trials"] == 2
        assert record["settings"]["timing"]["max_calls"] == 200  # the quick profile
        assert (record["card"], record["driver"], record["overrides"]) == ("cpu", None, None)
        assert record["torch"] and record["grader_version"]

    third = kb_grade(tmp_path, cache_dir, str(run), "--problems", str(problems))
    out, err = third.communicate(timeout=300)
    assert third.returncode == 1 and "0 graded now, 4 recorded before" in err, err
    assert "incorrect" in out and "level1/19_ReLU#2" in out  # one line per sample, then the summary
    assert records(results) == stored


def test_a_batch_that_all_passes_exits_0(kb, tmp_path):
    folder = tmp_path / "mine" / "level1"
    folder.mkdir(parents=True)
    shutil.copy(RELU, folder / "19_ReLU.py")
    code, out, err = kb("grade", str(tmp_path / "mine"), "--problems", str(PROBLEMS), "--device", "cpu",
                        "--timing", "quick", "--trials", "2")
    assert code == 0, err
    assert out.splitlines()[0].split()[0] == "pass" and "level1/19_ReLU" in out
    assert "1 sample(s): 1 graded now, 0 recorded before; 1 passed, 0 did not" in err
