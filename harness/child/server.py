"""`kb serve`: a fork server for the grade's processes, torch imported once, every child forked from it.

Each grade starts three processes, and each spends seconds importing torch before it does anything: 3-5 s
on the GPU machines, about 4 s on CI's 2-core CPU (docs/timing.md). A server started with `kb serve`
imports torch and every role once; a grade given its socket (`--server`) has each of its processes forked
from it, ready in milliseconds. The client's side, and what both sides share, is harness.wire.launch.

What keeps a forked process as clean as a fresh interpreter:
- the server only imports: it never loads solution code and runs no torch op, so no thread pool
  or allocator state is inherited half-made;
- it never initializes CUDA (a process that has cannot fork a child that uses CUDA): it checks
  before every fork and refuses once it has;
- each child gets its own session, working directory, environment and descriptors, as a spawned
  child does, and the server's own sockets are closed in it;
- the server is not dumpable (PR_SET_DUMPABLE 0): processes of its user cannot ptrace it or read
  its memory, so a solution cannot plant something there for a later grade's reference. The
  files on disk it can still change: same user (docs/threat-model.md).
It serves only clients whose harness code and library environment are its own, and only its own user.
"""
from __future__ import annotations

import importlib
import json
import os
import random
import select
import signal
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

from ..wire.launch import (HARNESS_ROOT, MAX_MESSAGE, ForkRequest, ServerError, die_with_parent, fingerprint,
                           kill_group, peer_uid, prctl, private_folder)

_PR_SET_DUMPABLE = 4


def serve(path: Path, ready: Any = None, preload: tuple[str, ...] = ()) -> None:
    """Import everything a child needs (and the modules in `preload`), listen on `path` and fork a child per
    request, until killed.

    `ready`, a file, hears one line once requests are served."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_folder(path.parent)
    if _answers(path):
        raise ServerError(f"a kb server is already listening at {path}: use it, or stop it first")
    cuda_refusal = _import_roles(preload)
    prctl(_PR_SET_DUMPABLE, 0)
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


def _import_roles(preload: tuple[str, ...]) -> str:
    """Import torch, every module a role imports and the modules named in `preload`, so they are bound before any
    solution code; why a forked child could not use CUDA afterwards ('' where it can).

    torch.cuda.is_available(), which cpp_extension's import calls, registers torch's fork handler, after which
    no forked child can initialize CUDA; asked through NVML instead, it registers nothing."""
    asked = os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK")
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    import torch  # noqa: F401  (the point of the server)
    import torch.utils.cpp_extension  # noqa: F401  (the build role's)

    from . import main  # noqa: F401  (every role, and what they import)

    for name in preload:
        importlib.import_module(name)
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
            if peer_uid(conn) != os.getuid():  # its children would run as this user
                raise ValueError("the client is another user")
            data, fds, flags, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
            request = ForkRequest.from_bytes(data)
            problem = self.refusal(request, fds, flags)
            if problem:
                conn.send(json.dumps({"error": problem}).encode())
                conn.close()
                return
            pid = self.fork(request, fds, conn)
            conn.send(json.dumps({"pid": pid}).encode())
            conn.settimeout(None)
            self.children[pid] = conn
        except (OSError, ValueError) as exc:  # a malformed request (harness.wire.codec.Malformed) is a ValueError
            try:
                conn.send(json.dumps({"error": f"bad request: {exc}"}).encode())
            except OSError:
                pass
            conn.close()
        finally:
            for fd in fds:
                os.close(fd)

    def refusal(self, request: ForkRequest, fds: list[int], flags: int) -> str:
        import torch

        if flags & socket.MSG_CTRUNC or len(fds) != 3:
            return "the request must come with three descriptors: commands, answers, log"
        if request.fingerprint != self.fingerprint:
            return ("this server runs other harness code or another environment (interpreter, PYTHONPATH, "
                    "library paths) than the client: start it again from the client's environment (kb serve)")
        if torch.cuda.is_initialized():
            return "CUDA was initialized in the server, so its children cannot use it: start it again (kb serve)"
        if self.cuda_refusal and request.settings.get("body", {}).get("device") != "cpu":
            return self.cuda_refusal
        return ""

    def fork(self, request: ForkRequest, fds: list[int], conn: socket.socket) -> int:
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

    def become_child(self, request: ForkRequest, fds: list[int], conn: socket.socket, server: int) -> None:
        """In the forked child: the state a spawned child has, then its role."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        prctl(_PR_SET_DUMPABLE, 1)
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
        os.chdir(request.cwd)
        os.environ.clear()
        os.environ.update(request.env)
        sys.path[:] = [str(HARNESS_ROOT), "", *self.site_path]  # as a spawned child has it
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        random.seed()
        sys.argv = ["-c", str(HARNESS_ROOT), request.role, str(answers), json.dumps(request.settings)]
        from .main import run

        run(request.role, answers, request.settings)

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
