"""What a role reports instead of an answer, and which status an exception from solution code earns."""
from __future__ import annotations

import traceback
from pathlib import Path

import torch

from ..common.verdict import Status
from .buildcache import CompileError, NeedsCuda

_NO_CUDA_MESSAGES = ("Torch not compiled with CUDA enabled", "Found no NVIDIA driver",
                     "No CUDA GPUs are available", "no CUDA-capable device")


class Failure(Exception):
    """A role's report instead of an answer: harness.child.main sends it as Failed."""

    def __init__(self, status: Status, reason: str, detail: str = ""):
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


def describe(exc: BaseException, focus: Path | None) -> str:
    """'solution.py:12: ValueError: first line of the message' (the deepest frame in `focus`)."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{Path(exc.filename).name}:{exc.lineno}: "
    elif focus is not None:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == str(focus):
                where = f"{focus.name}:{frame.lineno}: "
    message = str(exc).strip().splitlines()
    return f"{where}{type(exc).__name__}: {message[0] if message else ''}".rstrip(": ")


def classify(exc: BaseException, stage_status: Status, focus: Path | None) -> Failure:
    """The Failure an exception raised while loading or running the solution stands for."""
    detail = "".join(traceback.format_exception(exc))[-4000:]
    if isinstance(exc, CompileError):
        return Failure(Status.COMPILE_ERROR, exc.reason, exc.log)
    if isinstance(exc, NeedsCuda) or any(m in str(exc) for m in _NO_CUDA_MESSAGES):
        return Failure(Status.UNSUPPORTED, f"the solution needs CUDA and this machine has none "
                                           f"({describe(exc, focus)})", detail)
    if isinstance(exc, torch.OutOfMemoryError):
        return Failure(Status.RUNTIME_ERROR, f"out of memory: {describe(exc, focus)}", detail)
    return Failure(stage_status, describe(exc, focus), detail)
