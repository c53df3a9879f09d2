"""The solution process: ModelNew under the guard's rules (harness.child.guard).

It imports torch, creates its CUDA context and loads the problem, then waits: it imports the solution
only when told (Load), after the reference has been timed, so no solution code runs anywhere while the
reference is timed. Then it runs checked trials whose outputs it saves for the reference process to
measure (it never sees the oracle), times ModelNew with a few timed calls' outputs saved for the same
check, measures whose code does the work, and constructs ModelNew again at other sizes. Triton kernels compile (or
load from the solution's cache, where the build process compiled them) and autotune on the first checked call, before
any timed one; the parent reads what they did, stage by stage (ReadTritonLog).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import torch

from ..common.verdict import Status
from ..wire.channel import Link
from ..wire.messages import (ChildSettings, Done, Load, MeasureProvenance, Measured, ReadTritonLog, Resize, Resized,
                             Run, SolutionLoaded, Time, Timed, TritonLog, Waiting)
from . import compare, guard, provenance, timing
from .build import import_solution
from .device import resolve_device
from .failure import Failure, classify
from .inputs import CallInputs, construct, init_inputs, make_inputs, sync_weights
from .problem import load_sized, resize


def run(link: Link, settings: ChildSettings) -> None:
    device = resolve_device(settings.device)
    if device.type == "cuda":
        torch.empty(0, device=device)  # create the CUDA context now, before any solution code exists here,
        timing.limit_counter(device)   # and open the driver's count of time at the power limit
    problem, _ = load_sized(Path(settings.problem), settings.sizes, on_cpu=device.type == "cpu")
    link.send(Waiting())  # warm, and no GPU work until the parent says to load, never while the reference is timed
    commands = link.commands()
    first = next(commands, None)
    if first is None:  # the parent is gone
        return
    loaded: list[Solution] = []

    def load(_: Load) -> SolutionLoaded:
        solution = Solution(settings, problem, device)
        loaded.append(solution)
        watch = solution.triton
        triton = dataclasses.replace(watch.report, events=watch.new_events()) if watch else None
        return SolutionLoaded(weights=solution.weights, extensions=solution.cache.extensions, triton=triton)

    link.serve({Load: load}, commands=iter([first]))
    link.serve(loaded[0].handlers(), call=loaded[0].call, commands=commands)


class Solution:
    """ModelNew under the guard's rules: checked trials, timing with spot checks, provenance, resizing."""

    def __init__(self, settings: ChildSettings, problem: Any, device: torch.device):
        self.settings, self.problem, self.device = settings, problem, device
        self.path = Path(settings.solution)
        self.state = guard.StateSnapshot()
        self.counter = guard.OwnCodeCounter()
        imported = import_solution(settings, device, self.counter.wrap, self.counter.counting)
        self.module, self.cache, self.triton = imported.module, imported.cache, imported.triton
        self.stage = "trials"  # what Triton's compiles and autotunes are recorded under: "small sizes" once resized
        self.model, self.weights = self.construct()
        keep_rules(self.state.check, "while loading")
        self.checker = guard.CallChecker(self.counter, require_own_code=settings.require_own_code)

    def handlers(self) -> dict[type, Callable[[Any], Any]]:
        """The dispatch table once loaded."""
        return {Run: self.run, Time: self.time, MeasureProvenance: self.provenance, Resize: self.resize,
                ReadTritonLog: self.triton_log}

    def call(self, handler: Callable[[Any], Any], command: Any) -> Any:
        """Every operation without autograd; what solution code raises is its runtime error, unless one of its Triton
        kernels did not compile: that is its compile error, whatever came of it."""
        try:
            with torch.no_grad():
                return handler(command)
        except BaseException as exc:
            if self.triton is not None:
                self.triton.raise_failure()  # a kernel that did not compile, whatever the solution made of it
            if isinstance(exc, Failure):
                raise
            raise classify(exc, Status.RUNTIME_ERROR, self.path) from None

    def run(self, command: Run) -> Done:
        """One checked call; its outputs are saved for the reference process to measure."""
        inputs = make_inputs(self.problem, command.seed, self.device)
        self.triton_stage(self.stage)
        with guard.PoisonedMemory.around(inputs, self.device):
            outputs = compare.as_outputs(keep_rules(self.checker.call, lambda: self.model(*inputs), inputs))
        if self.triton is not None:
            self.triton.raise_failure()  # caught by the solution, which carried on
        torch.save([t.detach().to("cpu", copy=True) for t in outputs], command.path)
        keep_rules(self.state.check, "during forward")
        return Done()

    def time(self, command: Time) -> Timed:
        """Timed calls on fresh inputs; the spot-checked ones save their outputs. Own code must run in all."""
        calls = CallInputs(self.problem, command.seed, command.scales, self.device)
        threads = guard.ThreadWatch()
        made = 0

        def forward() -> Any:
            nonlocal made
            made += 1
            return self.model(*calls.values)

        def before_call(index: int) -> None:
            threads.before_call(index)
            calls.refresh(index)
            self.triton_stage("warm-up" if index < 0 else "timed calls")

        checked: dict[int, list[Any]] = {}

        def keep_checked(index: int, outputs: list[Any]) -> None:
            """Right after the call, with the device idle: copies at device speed, then to the host. Saved to
            their files after the loop: writing hundreds of MB would leave the card idle inside it."""
            keep_rules(guard.check_device_memory, outputs)
            copies = [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in outputs]
            checked[index] = [t.to("cpu") if isinstance(t, torch.Tensor) else t for t in copies]

        own_before = self.counter.calls
        report = timing.measure(forward, self.device, command.profile, before_call=before_call,
                                checked=frozenset(command.checks), on_checked=keep_checked)
        for index, outputs in checked.items():
            torch.save(outputs, command.checks[index])
        keep_rules(threads.finish)
        keep_rules(self.state.check, "while being timed")
        own_calls = self.counter.calls - own_before
        if self.settings.require_own_code and self.counter.countable and own_calls < made:
            raise Failure(Status.REJECTED, f"only {own_calls} of {made} timed calls ran the solution's own compiled "
                                           "code, though every checked call did; the code that is timed must be the "
                                           "code that is checked")
        return Timed(report=report)

    def provenance(self, command: MeasureProvenance) -> Measured:
        if self.device.type != "cuda":
            share = provenance.host_share(self.checker.own_seconds, self.checker.forward_seconds)
        else:
            inputs = make_inputs(self.problem, command.seed, self.device)
            self.triton_stage("provenance")
            own = provenance.kernel_names(self.cache.cuda_sources) | (self.triton.kernels if self.triton else set())
            share = provenance.gpu_share(lambda: self.model(*inputs), own)
        if self.triton is not None and self.triton.report.interpreted:
            share.note = provenance.INTERPRETED
        return Measured(provenance=share)

    def resize(self, _: Resize) -> Resized:
        sizes = resize(self.problem, "small", Path(self.settings.problem))
        self.stage = "small sizes"
        self.triton_stage(self.stage)
        self.model, self.weights = self.construct()
        return Resized(sizes=sizes)

    def triton_log(self, _: ReadTritonLog) -> TritonLog:
        return TritonLog(events=self.triton.new_events() if self.triton else [])

    def triton_stage(self, stage: str) -> None:
        """What Triton does from here on is recorded under `stage`."""
        if self.triton is not None:
            self.triton.stage = stage

    def construct(self) -> tuple[torch.nn.Module, str]:
        """ModelNew beside a seeded Model, given Model's weights."""
        if not hasattr(self.module, "ModelNew"):
            raise Failure(Status.LOAD_ERROR, f"{self.path.name} defines no ModelNew: add `class ModelNew(nn.Module)` "
                                             "taking the same constructor arguments as the problem's Model")
        seed = self.settings.weight_seed
        init = init_inputs(self.problem, seed)
        try:
            model = construct(self.module.ModelNew, init, seed)
            weights = sync_weights(construct(self.problem.Model, init, seed), model)
            return model.to(self.device), weights
        except BaseException as exc:
            failure = classify(exc, Status.LOAD_ERROR, self.path)
            if failure.status is Status.LOAD_ERROR:
                failure.reason = (f"ModelNew(*get_init_inputs()) failed: {failure.reason} (get_init_inputs() "
                                  f"gives {_short(init)}; ModelNew must take the same arguments as Model)")
            raise failure from None


def keep_rules(check: Any, *args: Any) -> Any:
    """Run a guard check; a broken rule ends the grade as `rejected`."""
    try:
        return check(*args)
    except guard.Violation as violation:
        raise Failure(Status.REJECTED, str(violation)) from None


def _short(values: list[Any]) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."
