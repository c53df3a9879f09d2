"""A fork server for the grade's processes: torch imported once, every process forked from it.

Each grade starts three processes (harness.worker), and each spends seconds importing torch before
it does anything: 3-5 s on the GPU machines, about 4 s on CI's 2-core CPU (docs/performance.md). A server
started with `kb serve` imports torch and the harness once; a grade given its socket (`--server`)
has each of its processes forked from it, ready in milliseconds.

What keeps a forked process as clean as a fresh interpreter:
- the server only imports: it never loads solution code and runs no torch op, so no thread pool
  or allocator state is inherited half-made;
- it never initializes CUDA (a process that has cannot fork a child that uses CUDA): it checks
  before every fork and refuses once it has;
- each child gets its own session, working directory, environment and descriptors, as a spawned
  worker does, and the server's own sockets are closed in it;
- the server is not dumpable (PR_SET_DUMPABLE 0): processes of its user cannot ptrace it or read
  its memory, so a solution cannot plant something there for a later grade's reference. The
  files on disk it can still change: same user (docs/threat-model.md).
It serves only clients whose harness code and library environment are its own (`fingerprint`), so
an edited harness is never graded by a server started before the edit, and only its own user: the
socket's folder must be that user's alone, and each end checks the other's (SO_PEERCRED).

Protocol, one SOCK_SEQPACKET connection per child: the client sends the request (JSON) with three
descriptors, the child's commands (its stdin), its answer pipe and its log; the server answers
{"pid": N}, or {"error": "..."}; later {"exit": code} (negative: killed by that signal) once the
child is gone and its process group killed. b"kill", or closing the connection, has the group
killed.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

HARNESS_ROOT = Path(__file__).resolve().parent.parent
# Read by the dynamic loader or by torch when imported: a server started under other values would
# give its children libraries other than the client's.
_IMPORT_ENV = ("PYTHONPATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "CUDA_HOME", "CUDA_PATH")
_MAX_MESSAGE = 1 << 20
_REPLY_SECONDS = 30.0
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4


class ServerError(Exception):
    """No process could be had from the server: none listening, another harness, or it refused."""


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
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _fingerprints[key] = digest.hexdigest()[:16]
    return _fingerprints[key]


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value)
    except OSError:
        pass


def _peer_uid(conn: socket.socket) -> int:
    """The user of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid)."""
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid


def _private_folder(folder: Path) -> None:
    """The socket's folder must be this user's alone: whoever can write there can put a server of theirs there."""
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise ServerError(f"{folder} belongs to another user or others can write to it: choose a socket in a "
                          "folder only you can write to")


def die_with_parent() -> None:
    """In a new child: if its parent is killed outright, the child goes too (Linux)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(pid: int) -> None:
    """SIGKILL a process group led by `pid`, if it is still there."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- the server -----------------------------------------------------------------------------------

def serve(path: Path, ready: Any = None) -> None:
    """Import everything a worker needs, listen on `path` and fork a worker per request, until killed.

    `ready`, a file, hears one line once requests are served."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private_folder(path.parent)
    if _answers(path):
        raise ServerError(f"a kb server is already listening at {path}: use it, or stop it first")
    cuda_refusal = _import_roles()
    _prctl(_PR_SET_DUMPABLE, 0)
    path.unlink(missing_ok=True)  # a socket file left by a server that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    old_mask = os.umask(0o077)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_mask)
    listener.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the socket file goes with the server
    if ready is not None:
        print(f"kb server ready at {path}", file=ready, flush=True)
    try:
        _Server(listener, cuda_refusal).run()
    finally:
        path.unlink(missing_ok=True)


def _import_roles() -> str:
    """Import torch and every module a role imports, so they are bound before any solution code; why a forked
    child could not use CUDA afterwards ('' where it can).

    torch.cuda.is_available(), which cpp_extension's import calls, registers torch's fork handler, after which
    no forked child can initialize CUDA; asked through NVML instead, it registers nothing."""
    asked = os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK")
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    import torch  # noqa: F401  (the point of the server)
    import torch.utils.cpp_extension  # noqa: F401  (the build role's)

    from . import worker  # noqa: F401

    if asked is None:
        del os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"]
    else:
        os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = asked
    return _fork_poisoned()


def _fork_poisoned() -> str:
    """Why a forked child could not use CUDA ('' where it can): a probe child asks torch whether it is in a
    'bad fork', as it is once the server itself registered torch's fork handler."""
    import torch

    in_bad_fork = getattr(torch._C, "_cuda_isInBadFork", None)
    if in_bad_fork is None:
        return ""
    with warnings.catch_warnings():  # as in _Server.fork
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os._exit(1 if in_bad_fork() else 0)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return ""
    return ("this server's children cannot use CUDA (torch asked the driver for the devices in the server, "
            "so a forked child cannot initialize CUDA): grade on the CPU or without --server")


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class _Server:
    def __init__(self, listener: socket.socket, cuda_refusal: str):
        self.listener = listener
        self.cuda_refusal = cuda_refusal
        self.site_path = sys.path[1:]  # without the entry for the server's own script or folder
        self.fingerprint = fingerprint(dict(os.environ))  # what its imports saw
        self.children: dict[int, socket.socket | None] = {}  # pid -> its client's connection, until reaped
        self.wake_r, self.wake_w = os.pipe()

    def run(self) -> None:
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        while True:
            clients = {conn: pid for pid, conn in self.children.items() if conn is not None}
            ready, _, _ = select.select([self.listener, self.wake_r, *clients], [], [])
            if self.wake_r in ready:
                while True:
                    try:
                        if not os.read(self.wake_r, 512):
                            break
                    except BlockingIOError:
                        break
                self.reap()
            if self.listener in ready:
                self.accept()
            for conn in ready:
                if conn in clients:
                    self.hear(clients[conn], conn)

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(10)  # a client that connects and says nothing must not stall the others
        fds: list[int] = []
        try:
            if _peer_uid(conn) != os.getuid():  # its children would run as this user
                raise ValueError("the client is another user")
            data, fds, flags, _ = socket.recv_fds(conn, _MAX_MESSAGE, 3)
            request = json.loads(data)
            problem = self.refusal(request, fds, flags)
            if problem:
                conn.send(json.dumps({"error": problem}).encode())
                conn.close()
                return
            pid = self.fork(request, fds, conn)
            conn.send(json.dumps({"pid": pid}).encode())
            conn.settimeout(None)
            self.children[pid] = conn
        except (OSError, ValueError, TypeError, KeyError) as exc:
            try:
                conn.send(json.dumps({"error": f"bad request: {exc}"}).encode())
            except OSError:
                pass
            conn.close()
        finally:
            for fd in fds:
                os.close(fd)

    def refusal(self, request: dict[str, Any], fds: list[int], flags: int) -> str:
        import torch

        if flags & socket.MSG_CTRUNC or len(fds) != 3:
            return "the request must come with three descriptors: commands, answers, log"
        if request.get("fingerprint") != self.fingerprint:
            return ("this server runs other harness code or another environment (interpreter, PYTHONPATH, "
                    "library paths) than the client: start it again from the client's environment (kb serve)")
        if torch.cuda.is_initialized():
            return "CUDA was initialized in the server, so its children cannot use it: start it again (kb serve)"
        if self.cuda_refusal and request.get("config", {}).get("device") != "cpu":
            return self.cuda_refusal
        return ""

    def fork(self, request: dict[str, Any], fds: list[int], conn: socket.socket) -> int:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        server = os.getpid()
        with warnings.catch_warnings():  # the one other thread an import starts (OpenBLAS's, through numpy) is
            warnings.simplefilter("ignore", DeprecationWarning)  # fork-safe: it is what DataLoader workers fork past
            pid = os.fork()
        if pid == 0:
            try:
                self.become_child(request, fds, conn, server)
            finally:
                os._exit(70)  # a child never returns into the server's loop
        return pid

    def become_child(self, request: dict[str, Any], fds: list[int], conn: socket.socket, server: int) -> None:
        """In the forked child: the state a spawned worker has, then the worker's role."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        _prctl(_PR_SET_DUMPABLE, 1)
        die_with_parent()  # the server gone: its children go too
        if os.getppid() != server:  # it went before the line above took effect
            os._exit(70)
        commands, answers, log = fds
        for sock in (self.listener, conn, *(c for c in self.children.values() if c is not None)):
            os.close(sock.detach())
        for fd in (self.wake_r, self.wake_w):
            os.close(fd)
        os.dup2(commands, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in (commands, log):
            os.close(fd)
        sys.stdout.reconfigure(line_buffering=True, write_through=True)
        sys.stderr.reconfigure(line_buffering=True, write_through=True)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[:] = [str(HARNESS_ROOT), "", *self.site_path]  # as harness.protocol's spawned workers have it
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        random.seed()
        config = request["config"]
        sys.argv = ["-c", str(HARNESS_ROOT), request["role"], str(answers), json.dumps(config)]
        from .worker import run

        run(request["role"], answers, config)

    def hear(self, pid: int, conn: socket.socket) -> None:
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        kill_group(pid)  # b"kill", or the client is gone: either way its processes go
        if not data:
            conn.close()
            self.children[pid] = None

    def reap(self) -> None:
        """Report each exited child, after killing what it left in its group (before its number is free)."""
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None:
                return
            kill_group(info.si_pid)
            _, status = os.waitpid(info.si_pid, 0)
            conn = self.children.pop(info.si_pid, None)
            if conn is not None:
                try:
                    conn.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                except OSError:
                    pass
                conn.close()


# --- the client -------------------------------------------------------------------------------------

class ForkedProcess:
    """A worker the server forked, seen from the grader: what harness.protocol.Child uses of a process."""

    def __init__(self, server: Path, role: str, config: dict[str, Any], cwd: Path, env: dict[str, str],
                 answer_fd: int, log_fd: int):
        self.server = server
        self.returncode: int | None = None
        self.lost = False  # the server went away, and the child with it (its parent-death signal)
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.conn.settimeout(_REPLY_SECONDS)
        commands_r, commands_w = os.pipe()
        request = {"role": role, "config": config, "cwd": str(cwd), "env": env, "fingerprint": fingerprint(env)}
        try:
            _private_folder(Path(server).parent)
            self.conn.connect(str(server))
            if _peer_uid(self.conn) != os.getuid():
                raise ServerError(f"the server at {server} runs as another user: grade without --server")
            socket.send_fds(self.conn, [json.dumps(request).encode()], [commands_r, answer_fd, log_fd])
            reply = json.loads(self.conn.recv(_MAX_MESSAGE) or b"{}")
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
        self._hear(None)
        assert self.returncode is not None
        return self.returncode

    def _hear(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        ready, _, _ = select.select([self.conn], [], [], timeout)
        if not ready:
            return
        try:
            data = self.conn.recv(_MAX_MESSAGE)
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
def running(path: Path, timeout: float = 300.0) -> Iterator[RunningServer]:
    """`kb serve --socket path` for the duration of a block (a sweep's, a test session's): it yields once the
    server is ready and stops it afterwards. Its own output goes to `path` + ".log"."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = path.with_name(path.name + ".log")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "--socket", str(path)],
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
