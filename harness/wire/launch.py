"""How a child process comes to be: a fresh interpreter, or forked by a running `kb serve`.

Spawned, a child is `python -c` running harness.child.main with its role, its answer pipe and its
settings in argv; it spends seconds importing torch. Forked, the server (harness.child.server), which
imported torch and every role once, forks it in milliseconds. Either way the child leads its own
session, has the grade's working directory, environment and three descriptors (commands on stdin,
answers on a pipe, a log on stdout/stderr), and dies with its parent. This module is the parent's side
of both and what the two halves of the server share; it never imports torch or the children's code.

The server's protocol, one SOCK_SEQPACKET connection per child: the client sends a ForkRequest (JSON)
with the three descriptors; the server answers {"pid": N} or {"error": "..."}; later {"exit": code}
(negative: killed by that signal) once the child is gone and its process group killed. b"kill", or
closing the connection, has the group killed. The server serves only clients whose harness code and
library environment are its own (`fingerprint`), and only its own user (`peer_uid`, `private_folder`).
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .codec import decode, encode

HARNESS_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the harness package
# Read by the dynamic loader or by torch when imported: a server started under other values would
# give its children libraries other than the client's.
_IMPORT_ENV = ("PYTHONPATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "CUDA_HOME", "CUDA_PATH")
MAX_MESSAGE = 1 << 20
_EXIT_NEWS_SECONDS = 30.0  # how long a killed child's exit may take to be reported
_REPLY_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from harness.child.main import main; main()"


class ServerError(Exception):
    """No process could be had from the server: none listening, another harness, or it refused."""


@dataclass
class ForkRequest:
    """What a client asks the server for: a child of `role` with these settings, in this directory and
    environment, for a client whose harness and environment hash to `fingerprint`."""

    role: str
    settings: dict[str, Any]   # the role's settings, encoded (harness.wire.codec)
    cwd: str
    env: dict[str, str]
    fingerprint: str

    def to_bytes(self) -> bytes:
        return json.dumps(encode(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "ForkRequest":
        """The request in `data`; a ValueError (Malformed, or not JSON) says what is wrong with it."""
        return decode(json.loads(data), cls)


def default_socket() -> Path:
    """A path only this user can reach: under $XDG_RUNTIME_DIR where there is one."""
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/kb-{os.getuid()}"
    return Path(base) / "kb-grader" / "server.sock"


_fingerprints: dict[tuple[str, ...], str] = {}


def fingerprint(env: dict[str, str]) -> str:
    """The interpreter, the harness's source and the import-time environment, hashed."""
    key = tuple(env.get(name, "") for name in _IMPORT_ENV)
    if key not in _fingerprints:
        digest = hashlib.sha256(sys.executable.encode() + b"\0" + "\0".join(key).encode())
        package = HARNESS_ROOT / "harness"
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
        _fingerprints[key] = digest.hexdigest()[:16]
    return _fingerprints[key]


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value)
    except OSError:
        pass


def die_with_parent() -> None:
    """In a new child: if its parent is killed outright, the child goes too (Linux)."""
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(pid: int) -> None:
    """SIGKILL a process group led by `pid`, if it is still there."""
    signal_group(pid, signal.SIGKILL)


def signal_group(pid: int, signum: int) -> None:
    """Send `signum` to the process group led by `pid`, if it is still there."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def describe_exit(returncode: int) -> str:
    """'was killed by SIGSEGV (segmentation fault)' or 'exited with code 3'."""
    if returncode < 0:
        sig = signal.Signals(-returncode)
        plain = signal.strsignal(sig) or sig.name
        return f"was killed by {sig.name} ({plain.lower()})"
    return f"exited with code {returncode}"


def peer_uid(conn: socket.socket) -> int:
    """The user of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid)."""
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid


def private_folder(folder: Path) -> None:
    """The socket's folder must be this user's alone: whoever can write there can put a server of theirs there."""
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise ServerError(f"{folder} belongs to another user or others can write to it: choose a socket in a "
                          "folder only you can write to")


class Spawned(subprocess.Popen):
    """A child started as a fresh interpreter."""

    lost = False  # only a forked child can go with its server

    @classmethod
    def start(cls, role: str, settings: Any, cwd: Path, env: dict[str, str] | None, answer_fd: int,
              log_fd: int) -> "Spawned":
        return cls([sys.executable, "-c", _BOOT, str(HARNESS_ROOT), role, str(answer_fd),
                    json.dumps(encode(settings))],
                   stdin=subprocess.PIPE, stdout=log_fd, stderr=subprocess.STDOUT, pass_fds=(answer_fd,),
                   cwd=cwd, env=env, start_new_session=True,
                   preexec_fn=die_with_parent)  # if the grader is killed outright

    def exited(self) -> bool:
        """Whether it has exited, without reaping it (WNOWAIT): its group's number stays reserved for kill."""
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill_group(self) -> None:
        kill_group(self.pid)


class Forked:
    """A child the server forked, seen from the parent: what harness.wire.channel.Child uses of a process."""

    def __init__(self, server: Path, role: str, settings: Any, cwd: Path, env: dict[str, str],
                 answer_fd: int, log_fd: int):
        self.server = server
        self.returncode: int | None = None
        self.lost = False  # the server went away, and the child with it (its parent-death signal)
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.conn.settimeout(_REPLY_SECONDS)
        commands_r, commands_w = os.pipe()
        request = ForkRequest(role=role, settings=encode(settings), cwd=str(cwd), env=env,
                              fingerprint=fingerprint(env))
        try:
            private_folder(Path(server).parent)
            self.conn.connect(str(server))
            if peer_uid(self.conn) != os.getuid():
                raise ServerError(f"the server at {server} runs as another user: grade without --server")
            socket.send_fds(self.conn, [request.to_bytes()], [commands_r, answer_fd, log_fd])
            reply = json.loads(self.conn.recv(MAX_MESSAGE) or b"{}")
            if "pid" not in reply:
                raise ServerError(f"the kb server at {server} refused: {reply.get('error', 'no answer')}")
        except BaseException as exc:
            self.conn.close()
            os.close(commands_w)
            if isinstance(exc, (OSError, ValueError)):
                raise ServerError(f"no kb server answered at {server} ({exc}): start one with `kb serve`, or "
                                  "grade without --server") from None
            raise
        finally:
            os.close(commands_r)
        self.conn.settimeout(None)
        self.pid = int(reply["pid"])
        self.stdin = os.fdopen(commands_w, "wb")

    def exited(self) -> bool:
        self._hear(0)
        return self.returncode is not None

    def kill_group(self) -> None:
        if self.returncode is None:
            try:
                self.conn.send(b"kill")
            except OSError:
                pass

    def wait(self) -> int:
        """Its exit status, as the server reports it; where no report comes in time, its group is killed from
        here and it counts as killed, so a grade never waits on the server's silence."""
        self._hear(_EXIT_NEWS_SECONDS)
        if self.returncode is None:
            kill_group(self.pid)
            self.returncode = -signal.SIGKILL
            self.conn.close()
        return self.returncode

    def _hear(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        ready, _, _ = select.select([self.conn], [], [], timeout)
        if not ready:
            return
        try:
            data = self.conn.recv(MAX_MESSAGE)
        except OSError:
            data = b""
        self.lost = not data
        self.returncode = -signal.SIGKILL if self.lost else int(json.loads(data)["exit"])
        self.conn.close()


@dataclass(frozen=True)
class RunningServer:
    socket: Path
    pid: int


@contextlib.contextmanager
def running(path: Path, timeout: float = 300.0, preload: tuple[str, ...] = ()) -> Iterator[RunningServer]:
    """`kb serve --socket path` for the duration of a block (a sweep's, a lint's, a test session's): it yields once
    the server is ready and stops it afterwards. Its own output goes to `path` + ".log". `preload`: modules the
    server imports besides the roles' (`kb serve --preload`)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = path.with_name(path.name + ".log")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--socket", str(path),
                                   *(f"--preload={name}" for name in preload)],
                                  cwd=HARNESS_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        while "kb server ready" not in log_path.read_text(errors="replace"):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace").strip()[-500:]
                raise ServerError(f"kb serve did not start: {tail or 'no output'}")
            time.sleep(0.05)
        yield RunningServer(path, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
