"""The reference process: the problem's Model, its float64 oracle, its timing, and the measure of the solution's
saved outputs. It loads the problem only and never imports solution code, so nothing in it can be patched by a
solution.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..common.verdict import OutputError
from ..wire.channel import Link
from ..wire.messages import (ChildSettings, Compare, Compared, Count, Counted, Done, Draw, Prepare, Prepared,
                             ReferenceTrial, Resize, Resized, Restore, Time, Timed)
from . import baseline, compare, oracle, timing, work
from .device import resolve_device, started
from .inputs import CallInputs, make_inputs, reference_model
from .problem import has_small_sizes, load_sized, resize
from .tensors import tensor_bytes


Expected = tuple[list[torch.Tensor], list[torch.Tensor]]  # a draw's oracle outputs and the reference's own


class Reference:
    """The problem's Model at some size and its float64 oracle."""

    def __init__(self, problem: Any, weight_seed: int, device: torch.device, pending: dict[str, Expected],
                 timed_as: str):
        self.problem, self.device = problem, device
        self.model = reference_model(problem, weight_seed).to(device)
        self.model64 = oracle.tolerant_copy(self.model)
        self.timed = baseline.timed(self.model, timed_as)  # what the timing loops call: eager or compiled
        self.pending = pending  # the process's: a draw prepared at other sizes is compared after Restore

    def prepare(self, draw: Draw) -> ReferenceTrial:
        """Reference outputs and oracle for one input draw, kept under the draw's id until compared."""
        inputs = make_inputs(self.problem, draw.seed, self.device, draw.scale)
        with torch.no_grad():
            reference = [t.detach().clone() for t in compare.as_outputs(self.model(*inputs))]
        found = oracle.oracle_outputs(self.model64, inputs, len(reference))
        expected = found if found is not None else oracle.reference_as_oracle(reference)
        self.pending[draw.id] = (expected, reference)
        return ReferenceTrial(outputs=[compare.spec_of(r) for r in reference],
                              oracle="float64" if found is not None else "reference",
                              ref_errors=[compare.measure_error(r, o, r, f"output {i}")
                                          for i, (r, o) in enumerate(zip(reference, expected))])

    def count(self, seed: int) -> Counted:
        """FLOPs and bytes of one forward at the graded sizes, or none where torch's formulas cannot follow it: no
        count means no floor, and no grade is lost."""
        try:
            counted, _ = work.count(self.model, make_inputs(self.problem, seed, self.device))
        except Exception:  # the policy above: any failure to count means "no floor"
            return Counted(work=None)
        return Counted(work=counted)

    def time(self, command: Time) -> Timed:
        """One timing loop of the baseline (harness.child.baseline); outputs and oracle stay the eager Model's."""
        calls = CallInputs(self.problem, command.seed, command.scales, self.device)
        with torch.no_grad():
            return Timed(report=self.timed.measure(calls, self.device, command.profile))

    def compare(self, command: Compare) -> Compared:
        expected, outputs = self.pending[command.trial] if command.keep else self.pending.pop(command.trial)
        return Compared(errors=compare_saved(Path(command.path), expected, outputs, self.device))


class ReferenceProcess:
    """The reference role's state across operations: the graded sizes, or the small ones while resized."""

    def __init__(self, settings: ChildSettings, device: torch.device):
        self.settings, self.device = settings, device
        self.path = Path(settings.problem)
        self.problem, self.sizes = load_sized(self.path, settings.sizes, on_cpu=device.type == "cpu")
        self.pending: dict[str, Expected] = {}
        self.reference = Reference(self.problem, settings.weight_seed, device, self.pending, settings.baseline)
        self.graded: tuple[Reference, dict[str, Any]] | None = None  # the graded sizes, while resized

    def handlers(self) -> dict[type, Any]:
        """The dispatch table: each operation this role serves, on the model of the moment (it changes sizes)."""
        return {Prepare: lambda c: Prepared(trials=[self.reference.prepare(draw) for draw in c.trials]),
                Count: lambda c: self.reference.count(c.seed), Time: lambda c: self.reference.time(c),
                Compare: lambda c: self.reference.compare(c), Resize: self.resize, Restore: self.restore}

    def resize(self, _: Resize) -> Resized:
        """The shape-generalization trial: the problem's SMALL_SIZES, if it has them."""
        if not has_small_sizes(self.problem):
            return Resized(sizes=None)
        self.graded = (self.reference, {name: getattr(self.problem, name) for name in self.problem.SMALL_SIZES})
        sizes = resize(self.problem, "small", self.path)
        self.reference = Reference(self.problem, self.settings.weight_seed, self.device, self.pending,
                                   self.settings.baseline)
        return Resized(sizes=sizes)

    def restore(self, _: Restore) -> Done:
        """Back to the graded sizes, for the reference's second timing loop."""
        if self.graded is not None:
            resize(self.problem, self.graded[1], self.path)
            self.reference, self.graded = self.graded[0], None
        return Done()


def run(link: Link, settings: ChildSettings) -> None:
    device = resolve_device(settings.device)
    process = ReferenceProcess(settings, device)
    if device.type == "cuda":
        timing.limit_counter(device)  # NVML opens here, not in the first timing loop
    link.send(started(device, process.sizes))
    link.serve(process.handlers())


def compare_saved(path: Path, oracle_outputs: list[torch.Tensor], reference: list[torch.Tensor],
                  device: torch.device) -> list[OutputError]:
    """Measure the solution's saved outputs; the file is read as data only (weights_only), mapped rather than
    read through its zip records (4x faster), and copied at once so later writes to the file change nothing."""
    def unusable(problem: str) -> list[OutputError]:
        return [OutputError.unmeasurable(problem)]

    expected_bytes = tensor_bytes(reference)
    try:
        if path.stat().st_size > 2 * expected_bytes + (1 << 20):
            return unusable("the solution's outputs are far larger than the reference's")
        mapped = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if not isinstance(mapped, list) or not all(type(t) is torch.Tensor for t in mapped):
            return unusable("the solution's outputs file is not a list of tensors")
        outputs = [t.to(device, copy=True) for t in mapped]
    except Exception as exc:
        return unusable(f"the solution's outputs could not be read: {exc}")
    finally:
        path.unlink(missing_ok=True)
    if len(outputs) != len(reference):
        return unusable(f"forward returned {len(outputs)} outputs, expected {len(reference)}")
    return [compare.measure_error(out, o, r, f"output {i}")
            for i, (out, o, r) in enumerate(zip(outputs, oracle_outputs, reference))]
