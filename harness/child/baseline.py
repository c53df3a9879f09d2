"""What the reference's time is the time of: the problem's Model as written (eager), or torch.compile(Model).

KernelBench reports speedups against both. The compiled model is only the baseline the solution is timed
against: the reference outputs and the float64 oracle come from the eager Model, as under the eager baseline.

The compiled model is made at the reference's first timing loop, before that loop's warm-up: compiled with
inductor's defaults (KernelBench's `mode="default"`) and static shapes (`dynamic=False`), then called on every
input buffer the timed calls take in turn (harness.child.inputs.CallInputs), twice over. The timed calls never
change shape (their inputs get new contents, scaled by about 1%, in buffers of one shape and layout), so nothing
marks a dimension dynamic and no later call compiles: compiling stays out of every timed loop. Each loop counts
the frames torch compiled while it ran (dynamo's own count, `compiles`); a loop in which it compiled again is
refused, not timed, for its time would include the compiler's.

Inductor writes its code (C++ on the CPU, Triton on a GPU) and its per-user caches into a folder made for this
process alone, removed once the compiled code is loaded (`_private_caches`). A cache shared across grades would be
writable by every solution's processes (they run as the same user), and a solution could plant slower code where
the reference would load it; so each problem's reference compiles anew, in its first timing operation (during
which a batch holds the device's other grades still) but before that loop's warm-up, untimed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import traceback
from typing import Any, Callable, Iterator
from unittest import mock

import torch

from ..common.settings import TimingProfile
from ..common.stats import LoopReport
from ..common.verdict import Status
from . import timing
from .failure import Failure, describe
from .inputs import CallInputs


class Eager:
    """The problem's Model as written."""

    def __init__(self, model: torch.nn.Module):
        self.model = model

    def measure(self, calls: CallInputs, device: torch.device, profile: TimingProfile) -> LoopReport:
        return timing.measure(lambda: self.model(*calls.values), device, profile, before_call=calls.refresh)


class Compiled:
    """torch.compile(Model), compiled and warmed up before its first loop; a loop that compiled again is refused."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.compiled: Callable[..., Any] | None = None

    def measure(self, calls: CallInputs, device: torch.device, profile: TimingProfile) -> LoopReport:
        if self.compiled is None:
            self.compiled = self._compile(calls, device)
        compiled, before = self.compiled, compiles()
        report = timing.measure(lambda: compiled(*calls.values), device, profile, before_call=calls.refresh)
        report.recompiles = compiles() - before
        if report.recompiles:
            raise Failure(Status.ERROR, f"torch.compile compiled Model again inside a timed loop ({report.recompiles} "
                                        "frame(s)), so that loop's time would include compiling: the problem's forward "
                                        "changes what torch.compile guards on between calls (TORCH_LOGS=recompiles "
                                        "says what); grade it with --baseline eager")
        return report

    def _compile(self, calls: CallInputs, device: torch.device) -> Callable[..., Any]:
        """torch.compile(Model), compiled in a private folder and called on each of the timed calls' buffers
        twice."""
        try:
            with _private_caches():
                compiled = torch.compile(self.model, dynamic=False)
                for index in range(-1, -2 * len(calls.copies) - 1, -1):
                    calls.refresh(index)
                    compiled(*calls.values)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
        except Exception as exc:  # whatever the compiler raised: this baseline cannot be timed
            raise Failure(Status.ERROR, f"torch.compile(Model) failed: {describe(exc, None)}; grade it with "
                                        "--baseline eager", "".join(traceback.format_exception(exc))[-4000:]) from None
        return compiled


@contextlib.contextmanager
def _private_caches() -> Iterator[None]:
    """Inductor's and Triton's caches, and the temporary folder their per-user caches default to, in a new folder
    of this process's, removed afterwards. Inductor's precompiled headers are not used: their folder is fixed when
    inductor is first imported, which may have been before (a fork server's preloads), in the per-user folder."""
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="kb-baseline-", ignore_cleanup_errors=True))
        stack.enter_context(mock.patch.dict(os.environ, {"TMPDIR": folder,
                                                         "TORCHINDUCTOR_CACHE_DIR": os.path.join(folder, "inductor"),
                                                         "TRITON_CACHE_DIR": os.path.join(folder, "triton")}))
        stack.enter_context(mock.patch.object(tempfile, "tempdir", folder))
        import torch._inductor.config as inductor  # its import makes a cache folder: the private one, now

        if hasattr(inductor, "cpp_cache_precompile_headers"):
            stack.enter_context(inductor.patch(cpp_cache_precompile_headers=False))
        yield


def timed(model: torch.nn.Module, baseline: str) -> Eager | Compiled:
    """What the reference's timing loops call: `model` as the baseline named (harness.common.settings.BASELINES)."""
    return {"eager": Eager, "compile": Compiled}[baseline](model)


def compiles() -> int:
    """How many frames torch.compile has compiled in this process so far, first compiles and recompiles alike."""
    from torch._dynamo.utils import counters

    return int(counters["frames"]["total"])

