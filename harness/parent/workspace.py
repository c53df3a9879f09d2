"""A grade's private working directory and its child processes: all gone when the grade ends."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..wire.channel import Child
from .gate import DeviceGate


def _memory_backed(min_free: int = 8 << 30) -> str | None:
    """/dev/shm where it has room: outputs pass between the children through files, often GBs a trial."""
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if stats.f_bavail * stats.f_frsize >= min_free else None


class Workspace:
    """A private working directory for the children, and the children themselves: all gone on exit (the
    directory is kept, with the children's logs, where `keep_in` names a folder for it)."""

    def __init__(self, keep_in: Path | None, visible_devices: str | None, server: Path | None,
                 gate: DeviceGate | None = None):
        self.visible_devices, self.server, self.gate = visible_devices, server, gate
        if keep_in is not None:
            keep_in.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=time.strftime("grade-%Y%m%d-%H%M%S-"), dir=keep_in))
        else:
            self.path = Path(tempfile.mkdtemp(prefix="kb-grade-", dir=_memory_backed()))
        self.keep = keep_in is not None
        self.children: list[Child] = []

    def spawn(self, role: str, settings: Any) -> Child:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        if self.visible_devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = self.visible_devices
        child = Child(role, settings, self.path, env, self.server)
        self.children.append(child)
        if self.gate is not None:
            self.gate.join(child)
        return child

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        for child in self.children:
            if self.gate is not None:
                self.gate.leave(child)
            child.kill(wait=False)  # all at once: CUDA teardowns overlap
        for child in self.children:
            child.close()
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
