"""The batch engine (harness.parent.batch) on the CPU: real grades of real files, several at once."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from conftest import FIXTURES, RELU_PROBLEM, ROOT, quick_timeouts
from harness import TIMING_PROFILES, GradeConfig, Status, Verdict
from harness.parent.batch import BatchOptions, Job, grade_batch
from harness.parent.gate import DeviceGate
from harness.parent.workspace import Workspace
from harness.wire.messages import ChildSettings, Started

CPU_FIXTURES = FIXTURES / "cpu"

SOFTMAX = ROOT / "problems" / "level1" / "23_Softmax.py"


def sample(tmp_path: Path, source: Path, name: str) -> Path:
    """A copy of `source` (and the sources beside it that it reads) as a sample file of its own."""
    folder = tmp_path / "samples"
    folder.mkdir(exist_ok=True)
    for beside in source.parent.glob("*.cpp"):
        shutil.copy(beside, folder)
    shutil.copy(source, folder / name)
    return folder / name


def batch(jobs: list[Job], config: GradeConfig, **options) -> dict[int, Verdict]:
    verdicts: dict[int, Verdict] = {}

    def record(job: Job, verdict: Verdict, slot: str | None) -> None:
        assert job.index not in verdicts, "one verdict per sample"
        verdicts[job.index] = verdict

    grade_batch(jobs, config, record, BatchOptions(**options))
    return verdicts


def config(cache_dir: Path, **settings) -> GradeConfig:
    return GradeConfig(**{**dict(device="cpu", trials=2, timing=TIMING_PROFILES["quick"], cache_dir=cache_dir),
                          **settings})


def test_a_problems_reference_work_is_done_once_for_all_its_samples(tmp_path, cache_dir):
    relu = ROOT / "solutions" / "level1" / "19_ReLU.py"
    jobs = [Job(0, sample(tmp_path, relu, "relu_a.py"), RELU_PROBLEM),
            Job(1, sample(tmp_path, CPU_FIXTURES / "wrong_shape.py", "relu_wrong.py"), RELU_PROBLEM),
            Job(2, sample(tmp_path, relu, "relu_b.py"), RELU_PROBLEM),
            Job(3, ROOT / "solutions" / "level1" / "23_Softmax.py", SOFTMAX)]
    logs = tmp_path / "logs"
    verdicts = batch(jobs, config(cache_dir, log_dir=logs))

    assert [verdicts[i].status for i in range(4)] == [Status.PASS, Status.INCORRECT, Status.PASS, Status.PASS], \
        [verdicts[i].reason for i in range(4)]
    assert [Path(verdicts[i].solution) for i in range(4)] == [job.solution for job in jobs]
    # Counted: one reference process per problem (each leaves its log in a folder of its own), one solution
    # process per sample.
    assert len(list(logs.glob("*/reference.log"))) == 2
    assert len(list(logs.glob("*/solution.log"))) == 4
    # The ReLU samples were timed against the same reference loops: one before them, one after the last.
    first, second = verdicts[0].ref_timing, verdicts[2].ref_timing
    assert first is not None and second is not None
    assert [loop.median_ms for loop in first.loops] == [loop.median_ms for loop in second.loops]
    assert len(first.loops) >= 2


def test_a_crash_and_a_hang_do_not_disturb_the_samples_graded_beside_them(tmp_path, cache_dir):
    relu = ROOT / "solutions" / "level1" / "19_ReLU.py"
    kinds = {"honest_a": relu, "segfault": CPU_FIXTURES / "segfault.py", "hangs": CPU_FIXTURES / "hangs.py",
             "honest_b": relu}
    jobs = [Job(i, sample(tmp_path, source, f"{name}.py"), RELU_PROBLEM) for i, (name, source) in
            enumerate(kinds.items())]
    verdicts = batch(jobs, config(cache_dir, timeouts=quick_timeouts(run=5)), grades_at_once=4)

    statuses = {name: verdicts[i].status for i, name in enumerate(kinds)}
    assert statuses == {"honest_a": Status.PASS, "segfault": Status.CRASHED, "hangs": Status.TIMEOUT,
                        "honest_b": Status.PASS}, [v.reason for v in verdicts.values()]
    assert "timed out after 5 s" in verdicts[2].reason


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def test_a_timing_loop_holds_every_other_process_of_its_device_still(tmp_path):
    """Real children, as a grade starts them: while one has the device, the others are stopped (state T),
    one started meanwhile included; afterwards they run on, and the time held is not counted to a timeout."""
    gate = DeviceGate()
    settings = ChildSettings.for_grade(config(tmp_path), problem=str(RELU_PROBLEM), solution="", weight_seed=1,
                                       cache_dir=str(tmp_path))
    with Workspace(None, None, None, gate) as workspace:
        timed, other = workspace.spawn("reference", settings), workspace.spawn("reference", settings)
        with gate.exclusive(timed):
            assert process_state(other.proc.pid) == "T"
            assert process_state(timed.proc.pid) != "T"
            late = workspace.spawn("reference", settings)
            assert process_state(late.proc.pid) == "T"
            time.sleep(2)
        assert {process_state(child.proc.pid) for child in (other, late)} <= {"R", "S", "D"}
        for child in (timed, other, late):  # each answers; the 2 s held were not counted to its 60 s
            assert isinstance(child.receive(Started, 60, "starting"), Started)


def test_answers_one_sample_left_behind_do_not_pass_another_samples_own_trial(tmp_path, cache_dir, monkeypatch):
    """The samples of a problem share its trials' draws but the last: the reader finds the writer's answers
    for those, and fails its own last trial (correctness only, so no timing check can catch it instead)."""
    monkeypatch.setenv("KB_TEST_MEMO", str(tmp_path / "memo.pt"))
    jobs = [Job(0, CPU_FIXTURES / "memo_writer.py", RELU_PROBLEM), Job(1, CPU_FIXTURES / "memo_reader.py", RELU_PROBLEM)]
    verdicts = batch(jobs, config(cache_dir, trials=3, time_solution=False, provenance=False, require_own_code=False,
                                  generalization="off"), grades_at_once=1)
    assert verdicts[0].status is Status.PASS, verdicts[0].reason
    reader = verdicts[1]
    assert reader.status is Status.INCORRECT and reader.reason.startswith("trial 3 of 3"), reader.reason
    assert [trial.passed for trial in reader.correctness.trials] == [True, True, False]
