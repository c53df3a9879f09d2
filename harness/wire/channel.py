"""Parent <-> child messaging: one message a line over dedicated pipes, each answer signed.

Children never talk over stdout/stderr (solution code may print anything there); those go to log
files. Commands arrive on a private copy of stdin, answers leave through an inherited pipe. The
parent's end (`Child`) enforces timeouts and turns a dead or silent child, or an answer that is not
what the operation promises, into an exception that names what happened. The child's end (`Link`)
hands each command to the role's dispatch table and answers an operation the role does not serve,
or a malformed command, with a Failed that names it.

Answers are signed: the parent's first line gives the child a fresh key, and each answer carries an
HMAC over its sequence number and text. Code that writes to the answer pipe on its own (it can find
the descriptor in argv) produces an unsigned line, which counts as a garbled answer. The key lives in
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
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ..common.verdict import Status
from .codec import decode, encode
from .launch import Forked, ServerError, Spawned, describe_exit, signal_group
from .messages import OPERATIONS, Failed

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


class Child:
    """One child process (harness.child.main) seen from the parent: spawned, or forked by a server
    (harness.wire.launch) where `server` names one."""

    def __init__(self, role: str, settings: Any, workdir: Path, env: dict[str, str] | None = None,
                 server: Path | None = None):
        self.role = role
        self.log_path = workdir / f"{role}.log"
        read_fd, write_fd = os.pipe()
        try:
            with open(self.log_path, "wb") as log:
                if server is None:
                    self.proc: Spawned | Forked = Spawned.start(role, settings, workdir, env, write_fd, log.fileno())
                else:
                    self.proc = Forked(server, role, settings, workdir, dict(os.environ if env is None else env),
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
        self._held_since: float | None = None  # while held still (hold): its time does not count to a timeout
        self._held_for = 0.0
        self._write({"key": self._key.hex()})

    def ask(self, operation: Any, timeout: float, doing: str) -> Any:
        """Send `operation`; its answer (of the type it names), or Failed."""
        self.send(operation)
        return self.receive(type(operation).Answer, timeout, doing)

    def send(self, operation: Any) -> None:
        if type(operation) not in OPERATIONS:
            raise TypeError(f"{type(operation).__name__} is not an operation of harness.wire.messages")
        self._write(encode(operation))

    def _write(self, message: dict[str, Any]) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the next receive() reports the death with its exit status

    def receive(self, answer: type, timeout: float, doing: str) -> Any:
        """The next answer, as `answer` or Failed; raises ChildFailed naming `doing` if none comes in time or
        it is anything else."""
        text = self._line(timeout, doing)
        try:
            return decode(json.loads(text), answer, Failed)
        except ValueError as exc:  # not JSON, or Malformed
            self.kill()
            raise ChildGarbled(self.role, f"sent a malformed answer while {doing} ({exc})"[:300],
                               self.stderr_tail()) from None

    def _line(self, timeout: float, doing: str) -> bytes:
        """The next signed line's text."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline + self._held_seconds() - time.monotonic()
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
        return text

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

    def hold(self) -> None:
        """Stop the child and its process group where they are (SIGSTOP: nothing it runs can refuse), while
        another process is timed on its device; the time held does not count towards its timeouts."""
        if self.proc.returncode is None and self._held_since is None:
            self._held_since = time.monotonic()
            signal_group(self.proc.pid, signal.SIGSTOP)

    def stopped(self) -> bool:
        """Whether the child itself is stopped by now (a signal arrives a moment after it is sent) or gone."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] in "TtZX"
        except (OSError, IndexError):
            return True

    def release(self) -> None:
        if self._held_since is not None:
            if self.proc.returncode is None:
                signal_group(self.proc.pid, signal.SIGCONT)
            self._held_for += time.monotonic() - self._held_since
            self._held_since = None

    def _held_seconds(self) -> float:
        since = self._held_since
        return self._held_for + (time.monotonic() - since if since is not None else 0.0)

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


def _signer(key: bytes) -> Callable[[bytes], bytes]:
    """A function that signs the next answer; the key stays in its closure, not in an attribute."""
    sent = 0

    def sign(text: bytes) -> bytes:
        nonlocal sent
        line = text + b" " + _mac(key, sent, text).encode() + b"\n"
        sent += 1
        return line

    return sign


class ProtocolError(Exception):
    """A command a child cannot take: malformed, or an operation its role does not serve. Answered with
    Failed(ERROR) by harness.child.main, which then ends the process."""


class Link:
    """The child's end: read commands, send signed answers."""

    def __init__(self, role: str, answer_fd: int):
        # Keep commands off fd 0 so solution code reading stdin finds nothing.
        self.role = role
        self._commands = os.fdopen(os.dup(0), "r")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self._answer_fd = answer_fd
        self._sign = _signer(bytes.fromhex(json.loads(self._commands.readline())["key"]))

    def send(self, answer: Any) -> None:
        line = self._sign(json.dumps(encode(answer), allow_nan=True).encode())
        while line:
            line = line[os.write(self._answer_fd, line):]

    def fail(self, status: Status, reason: str, detail: str = "") -> None:
        self.send(Failed(status=status, reason=reason, detail=detail))

    def commands(self) -> Iterator[Any]:
        """Each command as its operation, until the parent closes the pipe."""
        for line in self._commands:
            try:
                yield decode(json.loads(line), *OPERATIONS)
            except ValueError as exc:  # not JSON, or Malformed
                raise ProtocolError(f"the {self.role} process received a malformed command: {exc}") from None

    def serve(self, handlers: Mapping[type, Callable[[Any], Any]],
              call: Callable[[Callable[[Any], Any], Any], Any] = lambda handler, command: handler(command),
              commands: Iterator[Any] | None = None) -> None:
        """Answer each command with what its handler returns (`call` runs the handler), until the commands end.
        An operation missing from `handlers` is a ProtocolError naming it."""
        for command in commands if commands is not None else self.commands():
            handler = handlers.get(type(command))
            if handler is None:
                raise ProtocolError(f"the {self.role} process does not serve {type(command).__name__} (it serves "
                                    f"{', '.join(kind.__name__ for kind in handlers)})")
            self.send(call(handler, command))

