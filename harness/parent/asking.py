"""Asking a child for an answer, and what its failure to give one means: a Stop naming whose fault it was."""
from __future__ import annotations

from typing import Any

from ..common import stats
from ..common.verdict import Status
from ..wire.channel import Child, ChildDied, ChildFailed, ChildTimedOut
from ..wire.messages import Failed
from .gate import DeviceGate

# Statuses a solution's own process may report; anything else from it is a crash.
_SOLUTION_STATUSES = {Status.COMPILE_ERROR, Status.LOAD_ERROR, Status.RUNTIME_ERROR, Status.INCORRECT,
                      Status.REJECTED, Status.UNSUPPORTED}


class Stop(Exception):
    """Grading ends here with this status."""

    def __init__(self, status: Status, reason: str, detail: str = ""):
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


def ask(child: Child, operation: Any, timeout: float, doing: str, whose: str, gate: DeviceGate | None,
        device: str = "") -> Any:
    """`operation`'s answer from `child`, run while the device is free of timing loops, or Stop."""
    if gate is None:
        child.send(operation)
        return answer(child, type(operation).Answer, timeout, doing, whose, device)
    with gate.use():
        child.send(operation)
        return answer(child, type(operation).Answer, timeout, doing, whose, device)


def answer(child: Child, kind: type, timeout: float, doing: str, whose: str, device: str = "") -> Any:
    """The child's next answer as `kind`, or Stop with a status that says whose fault it was."""
    try:
        got = child.receive(kind, timeout, doing)
    except ChildFailed as failure:
        raise _stop_for_failure(failure, whose) from None
    if not isinstance(got, Failed):
        return got
    if whose == "reference":
        raise Stop(Status.ERROR, f"the reference could not run: {got.reason}", got.detail)
    status = got.status
    if status not in _SOLUTION_STATUSES:
        status = Status.LOAD_ERROR if status is Status.ERROR else Status.CRASHED
    if status is Status.UNSUPPORTED and device == "cuda":
        status = Status.RUNTIME_ERROR  # cannot be "unsupported" on a machine that has CUDA
    raise Stop(status, got.reason, got.detail)


def _stop_for_failure(failure: ChildFailed, whose: str) -> Stop:
    detail = failure.stderr_tail
    if whose == "reference":
        return Stop(Status.ERROR, f"the reference {failure.what}", detail)
    if isinstance(failure, ChildTimedOut):
        return Stop(Status.TIMEOUT, f"the solution {failure.what}", detail)
    last = detail.strip().splitlines()[-1] if detail.strip() else ""
    said = f"; it last printed: {last[:200]}" if last and isinstance(failure, ChildDied) else ""
    return Stop(Status.CRASHED, f"the solution's process {failure.what}{said}", detail)


def believable(whose: str, check: Any, *args: Any) -> Any:
    """`check(*args)` on `whose` raw timing reports; an impossible report ends the grade, naming the process."""
    try:
        return check(*args)
    except stats.BadSamples as bad:
        status = Status.ERROR if whose == "reference" else Status.CRASHED
        raise Stop(status, f"the {whose} process reported an impossible timing: {bad}"[:300]) from None
