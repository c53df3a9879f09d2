"""Parent <-> child messaging: one JSON object per line over dedicated pipes.

Children never talk over stdout/stderr (solution code may print anything
there); those go to log files. Commands arrive on a private copy of stdin,
answers leave through an inherited pipe. The parent side enforces timeouts
and turns a dead or silent child into an exception that names what happened.

Answers are signed: the parent's first command gives the child a fresh key,
and each answer carries an HMAC over its sequence number and text. Code that
writes to the answer pipe on its own (it can find the descriptor in argv)
produces an unsigned line, which counts as a garbled answer. The key lives in
the child's memory, so this is a tripwire against forged answers, not a wall.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .forkserver import HARNESS_ROOT, ForkedProcess, ServerError, die_with_parent, kill_group

_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from harness.worker import main; main()"
_MAX_MESSAGE = 16 << 20


class ChildFailed(Exception):
    """A child stopped answering: it died, timed out, or sent nonsense."""

    def __init__(self, role: str, what: str, stderr_tail: str):
        super().__init__(f"{role} process {what}")
        self.role = role
        self.what = what
        self.stderr_tail = stderr_tail


class ChildDied(ChildFailed):
    pass


class ChildTimedOut(ChildFailed):
    pass


class ChildGarbled(ChildFailed):
    pass


def describe_exit(returncode: int) -> str:
    """'was killed by SIGSEGV (segmentation fault)' or 'exited with code 3'."""
    if returncode < 0:
        sig = signal.Signals(-returncode)
        plain = signal.strsignal(sig) or sig.name
        return f"was killed by {sig.name} ({plain.lower()})"
    return f"exited with code {returncode}"


class _Spawned(subprocess.Popen):
    """A worker started as a fresh interpreter."""

    lost = False  # only a forked worker can go with its server

    def exited(self) -> bool:
        """Whether it has exited, without reaping it (WNOWAIT): its group's number stays reserved for kill."""
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill_group(self) -> None:
        kill_group(self.pid)


class Child:
    """One worker process (see harness.worker) seen from the parent: spawned, or forked by a server
    (harness.forkserver) where `server` names one."""

    def __init__(self, role: str, config: dict[str, Any], workdir: Path, env: dict[str, str] | None = None,
                 server: Path | None = None):
        self.role = role
        self.log_path = workdir / f"{role}.log"
        read_fd, write_fd = os.pipe()
        try:
            with open(self.log_path, "wb") as log:
                if server is None:
                    self.proc: _Spawned | ForkedProcess = _Spawned(
                        [sys.executable, "-c", _BOOT, str(HARNESS_ROOT), role, str(write_fd), json.dumps(config)],
                        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                        pass_fds=(write_fd,), cwd=workdir, env=env, start_new_session=True,
                        preexec_fn=die_with_parent,  # if the grader is killed outright
                    )
                else:
                    self.proc = ForkedProcess(server, role, config, workdir, dict(os.environ if env is None else env),
                                              write_fd, log.fileno())
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self._read_fd = read_fd
        self._buffer = b""
        self._key = secrets.token_bytes(32)
        self._received = 0
        self.send(key=self._key.hex())

    def send(self, **message: Any) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the next receive() reports the death with its exit status

    def receive(self, timeout: float, doing: str) -> dict[str, Any]:
        """Next message; raises ChildFailed naming `doing` if none comes in time."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ChildTimedOut(self.role, f"timed out after {timeout:g} s while {doing}", self.stderr_tail())
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._read_fd, 1 << 16)
            if not chunk:
                code = self._wait_exit()
                if self.proc.lost:
                    raise ServerError(f"the kb server at {self.proc.server} stopped during the grade, and the "
                                      f"{self.role} process with it: start it again (kb serve)")
                raise ChildDied(self.role, f"{describe_exit(code)} while {doing}", self.stderr_tail())
            self._buffer += chunk
            if len(self._buffer) > _MAX_MESSAGE:
                self.kill()
                raise ChildGarbled(self.role, f"sent an oversized message while {doing}", self.stderr_tail())
        line, self._buffer = self._buffer.split(b"\n", 1)
        text, _, mac = line.rpartition(b" ")
        if not hmac.compare_digest(mac, _mac(self._key, self._received, text).encode()):
            self.kill()
            raise ChildGarbled(self.role, f"sent an answer the grader's code did not sign while {doing} (something "
                                          "else in the process wrote to the answer pipe)", self.stderr_tail())
        self._received += 1
        try:
            message = json.loads(text)
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            self.kill()
            raise ChildGarbled(self.role, f"sent a malformed message while {doing}", self.stderr_tail()) from None
        return message

    def request(self, timeout: float, doing: str, **message: Any) -> dict[str, Any]:
        self.send(**message)
        return self.receive(timeout, doing)

    def _wait_exit(self) -> int:
        """The exit status of a child whose pipe closed (killed after 10 s if it has not exited); whatever it
        left running in its process group is killed too."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.proc.exited():
            time.sleep(0.01)
        self.kill()
        return self.proc.returncode

    def kill(self, wait: bool = True) -> None:
        """Kill the child and everything it started in its process group (it leads its own session), even
        after the child itself has exited: until it is reaped, its group's number cannot be reused."""
        if self.proc.returncode is None:
            self.proc.kill_group()
        if wait:
            self.proc.wait()

    def close(self) -> None:
        """Kill, reap, release the pipes: a finished child must not linger. It holds nothing worth saving."""
        self.kill()
        os.close(self._read_fd)
        if self.proc.stdin:
            self.proc.stdin.close()

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


def _mac(key: bytes, sequence: int, text: bytes) -> str:
    return hmac.new(key, b"%d:" % sequence + text, hashlib.sha256).hexdigest()


def _signer(key: bytes):
    """A function that signs the next answer; the key stays in its closure, not in an attribute."""
    sent = 0

    def sign(text: bytes) -> bytes:
        nonlocal sent
        line = text + b" " + _mac(key, sent, text).encode() + b"\n"
        sent += 1
        return line

    return sign


class Link:
    """The child's end: read commands, send signed answers."""

    def __init__(self, answer_fd: int):
        # Keep commands off fd 0 so solution code reading stdin finds nothing.
        self._commands = os.fdopen(os.dup(0), "r")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self._answer_fd = answer_fd
        self._sign = _signer(bytes.fromhex(json.loads(self._commands.readline())["key"]))

    def send(self, **message: Any) -> None:
        line = self._sign(json.dumps(message, allow_nan=True).encode())
        while line:
            line = line[os.write(self._answer_fd, line):]

    def commands(self):
        for line in self._commands:
            yield json.loads(line)
