"""`kb serve` (harness.child.server, harness.wire.launch): a grade whose processes the server forks, on the CPU, real processes.

Grading itself through the server is covered where the spawned path is: the tests that take the `launch`
fixture (conftest.py) run once each way, the cheats among them. Here: what only the server does.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, RELU_PROBLEM, ROOT, parse_single_json
from harness.wire.launch import RunningServer, running
from harness import Status


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:  # field 4: the parent's pid
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    """Alive, not a zombie waiting for whoever adopted it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_every_process_of_a_grade_given_the_server_is_forked_by_it(grade_file, fork_server, tmp_path,
                                                                    monkeypatch):
    parents = tmp_path / "parents"
    monkeypatch.setenv("KB_TEST_PARENTS", str(parents))
    forked = grade_file(FIXTURES / "cpu" / "reports_parent.py", server=fork_server.socket)
    assert forked.status is Status.PASS, forked.reason
    assert parents.read_text().split() == [str(fork_server.pid)] * 2  # the build and the solution process
    parents.unlink()
    spawned = grade_file(FIXTURES / "cpu" / "reports_parent.py")
    assert spawned.status is Status.PASS, spawned.reason
    assert parents.read_text().split() == [str(os.getpid())] * 2


def hanging_grade(server: RunningServer, cache_dir: Path) -> tuple[subprocess.Popen, list[int]]:
    """`kb grade --json` of a forward that never returns, through `server`, once its processes are up and the
    solution's forward is spinning; and the server's children then."""
    grader = subprocess.Popen(
        [sys.executable, "-m", "harness", "grade", str(FIXTURES / "cpu" / "hangs.py"), "--problem",
         str(RELU_PROBLEM), "--device", "cpu", "--no-timing", "--timeout-run", "600", "--json", "--server",
         str(server.socket)],
        cwd=ROOT, env=dict(os.environ, KB_CACHE_DIR=str(cache_dir)), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 300
    while len(children_of(server.pid)) < 2:  # the reference's and the solution's (the build's may be gone)
        assert grader.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(3)  # the solution's forward is spinning by now
    children = children_of(server.pid)
    assert len(children) >= 2
    return grader, children


def test_a_killed_grader_takes_its_forked_processes_along(fork_server, cache_dir):
    grader, _ = hanging_grade(fork_server, cache_dir)
    grader.kill()
    grader.communicate()
    deadline = time.monotonic() + 15
    while children_of(fork_server.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children_of(fork_server.pid) == []


def test_a_server_that_stops_mid_grade_takes_its_processes_along_and_the_grade_says_so(tmp_path, cache_dir):
    with running(tmp_path / "server.sock") as server:
        grader, children = hanging_grade(server, cache_dir)
        os.kill(server.pid, 9)
        out = grader.communicate(timeout=120)[0]
    verdict = parse_single_json(out)
    assert grader.returncode == 2 and verdict["status"] == "error", verdict["reason"]
    assert "stopped during the grade" in verdict["reason"] and "kb serve" in verdict["reason"]
    deadline = time.monotonic() + 15  # their parent-death signal
    while [pid for pid in children if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]


def test_a_server_started_in_another_environment_refuses_and_says_how_to_fix_it(grade_file, tmp_path,
                                                                                  monkeypatch):
    with running(tmp_path / "server.sock") as server:
        monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the grade's processes would import from elsewhere
        verdict = grade_file(ROOT / "solutions" / "level1" / "19_ReLU.py", server=server.socket)
    assert verdict.status is Status.ERROR
    assert "refused" in verdict.reason and "start it again from the client's environment" in verdict.reason


def test_grading_through_a_server_that_is_not_there_is_a_grader_error_naming_kb_serve(kb, tmp_path):
    code, out, _ = kb("grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--json", "--server",
                      str(tmp_path / "nothing.sock"))
    verdict = parse_single_json(out)
    assert code == 2 and verdict["status"] == "error"
    assert "no kb server answered" in verdict["reason"] and "kb serve" in verdict["reason"]


def test_the_server_removes_its_socket_when_stopped(tmp_path):
    with running(tmp_path / "server.sock") as server:
        assert Path(server.socket).is_socket()
    assert not (tmp_path / "server.sock").exists()


def test_a_second_server_on_a_live_socket_refuses_instead_of_taking_it(kb, fork_server):
    code, _, err = kb("serve", "--socket", str(fork_server.socket), timeout=120)
    assert code == 2 and "already listening" in err  # had it taken the socket, it would still be serving


def test_a_socket_in_a_folder_others_can_write_to_is_refused_by_server_and_client(kb):
    shared = Path("/tmp")  # world-writable: another user could put a server of theirs there
    code, _, err = kb("serve", "--socket", str(shared / "kb-test.sock"), timeout=120)
    assert code == 2 and "others can write to it" in err
    code, out, _ = kb("grade", "solutions/level1/19_ReLU.py", "--device", "cpu", "--json", "--server",
                      str(shared / "kb-test.sock"))
    verdict = parse_single_json(out)
    assert code == 2 and "others can write to it" in verdict["reason"]
