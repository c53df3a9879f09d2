"""The lint process: every check of `kb lint` on one problem file (harness.tools.lint starts one per problem).

A grader is only as good as its problems. A problem whose output is (near) zero, constant, an input passed
through, independent of an input or of the weights, random, or exactly computable in bfloat16 lets a
trivial "kernel" pass. Each check here builds the candidate a reward hacker would submit and asks the
grader's own measures (harness.child.compare against the float64 oracle, harness.common.tolerance) whether
it passes: a check means what a grade means. Models and inputs are made as the grader makes them
(harness.child.inputs), with the lint's own fixed seeds, so a lint is reproducible.

On the CPU a problem runs at its SMALL_SIZES; its full-size work and footprint are estimated on the meta
device (nothing allocated). On CUDA it runs at full size, and time and memory are measured.
"""
from __future__ import annotations

import copy
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ..common import stats, tolerance
from ..common.lint import LintReport, SizeEstimate, problem_name
from ..common.settings import TIMING_PROFILES
from ..common.tolerance import Budget
from ..wire.channel import Link
from ..wire.messages import Lint, Linted, LintSettings
from . import oracle, timing, work
from .compare import as_outputs, measure_error, spec_of
from .device import resolve_device, started
from .inputs import make_inputs, reference_model
from .problem import has_small_sizes, load_problem
from .tensors import clones

# Seeds of the lint's own draws: fixed, so a lint is reproducible.
WEIGHT_SEED, FIRST_SEED, SECOND_SEED, REDRAW_SEED = 1234, 1, 2, 3
# A change counts as "sensitive" only when it is this many budgets away from the oracle.
SENSITIVITY_MARGIN = 10.0
# Run-to-run rounding allowed in "deterministic" (a fraction of the budget).
RERUN_FRACTION = 0.1
# The size rules (docs/lint.md): a reference of 0.5-50 ms on one H100, and at most 24 GB with the oracle.
H100_FLOPS, H100_BYTES_PER_S = 45e12, 2.5e12
MIN_MS, MAX_MS = 0.5, 50.0
MAX_FOOTPRINT = 24e9
ORACLE_FACTOR = 3          # the problem's tensors, plus a float64 copy of them for the oracle
# A problem without SMALL_SIZES is linted on the CPU at full size only when it is this light.
CPU_FULL_MAX_FLOPS, CPU_FULL_MAX_BYTES = 20e9, 1e9


def forward(model: Any, inputs: list[Any]) -> list[Any]:
    """One forward on private copies of the inputs; detached copies of the outputs."""
    with torch.no_grad():
        return [t.detach().clone() for t in as_outputs(model(*clones(inputs)))]


@dataclass
class Trial:
    """One draw of inputs with its reference outputs, float64 oracle and the grader's budgets."""

    inputs: list[Any]
    reference: list[Any]
    oracle: list[Any]
    budgets: list[Budget]

    def ratio(self, index: int, out: Any) -> float:
        """How many budgets `out` is from the oracle for output `index` (inf: wrong shape/dtype/NaN/values)."""
        error = measure_error(out, self.oracle[index], self.reference[index], f"output {index}")
        if error.problem:
            return float("inf")
        allowed = self.budgets[index]
        return max(error.rel_err / allowed.rel, error.elem_err / allowed.elem)

    def worst_ratio(self, outputs: list[Any]) -> float:
        if len(outputs) != len(self.reference):
            return float("inf")
        return max((self.ratio(i, out) for i, out in enumerate(outputs)), default=0.0)


def make_trial(model: Any, model64: Any, inputs: list[Any]) -> Trial:
    """The reference, the oracle (float64 copy; the reference itself where that fails) and the budgets."""
    reference = forward(model, inputs)
    return trial_of(inputs, reference, oracle.oracle_outputs(model64, clones(inputs), len(reference)))


def trial_of(inputs: list[Any], reference: list[Any], expected: list[Any] | None) -> Trial:
    """A Trial from outputs already computed, with the grader's budgets."""
    if expected is None or len(expected) != len(reference):
        expected = oracle.reference_as_oracle(reference)
    budgets = []
    for i, (r, o) in enumerate(zip(reference, expected)):
        own = measure_error(r, o, r, f"output {i}")
        budgets.append(tolerance.budget(spec_of(r).dtype, own.rel_err, own.elem_err))
    return Trial(inputs, reference, expected, budgets)


@dataclass
class Loaded:
    problem: Any
    model: Any
    model64: Any
    first: Trial
    second: Trial
    device: Any


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _where(exc: BaseException, path: Path) -> str:
    """The problem file's line that raised, if any."""
    if isinstance(exc, SyntaxError):
        return ""   # its message names the line
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve() and f"line {frame.lineno}" not in str(exc):
            return f" (line {frame.lineno})"
    return ""


# --- work and size, on the meta device --------------------------------------------------------

def estimate_size(report: LintReport, problem: Any) -> None:
    """Full-size FLOPs, bytes, outputs, time and footprint into `report.work`, without allocating: all on `meta`."""
    counted, out = work.count_on_meta(problem, WEIGHT_SEED)
    moved = counted.read_bytes + counted.written_bytes
    report.work = SizeEstimate(flops=counted.flops, read_bytes=counted.read_bytes, written_bytes=counted.written_bytes,
                               outputs=[str(spec_of(o)) for o in as_outputs(out)],
                               est_ms=1e3 * max(counted.flops / H100_FLOPS, moved / H100_BYTES_PER_S),
                               footprint_bytes=ORACLE_FACTOR * moved)


def size_warnings(size: SizeEstimate) -> list[str]:
    notes = []
    if not MIN_MS <= size.est_ms <= MAX_MS:
        notes.append(f"estimated H100 time {size.est_ms:.3g} ms is outside {MIN_MS}-{MAX_MS} ms "
                     f"({size.flops / 1e9:.3g} GFLOP, {(size.read_bytes + size.written_bytes) / 1e9:.3g} GB moved)")
    if size.footprint_bytes > MAX_FOOTPRINT:
        notes.append(f"estimated footprint {size.footprint_bytes / 1e9:.3g} GB (with the float64 oracle) is over "
                     f"{MAX_FOOTPRINT / 1e9:.0f} GB")
    return notes


def choose_size(report: LintReport, module: Any, device: Any, full: bool) -> str | None:
    """'small', 'full', or None when the checks cannot run here (a failed check says why)."""
    if full or device.type == "cuda":
        report.sizes = "full"
        return "full"
    if has_small_sizes(module):
        report.sizes = "small: " + ", ".join(f"{k}={v}" for k, v in module.SMALL_SIZES.items())
        return "small"
    counted = report.work
    if counted is None:  # the estimate failed (a warning says why): its size is unknown, so it is not run
        report.sizes = "not run (no SMALL_SIZES, full size not estimated)"
        report.add("cpu_size", False, "no SMALL_SIZES, and its full-size work could not be estimated, so it "
                                      "is not run at full size on the CPU: add SMALL_SIZES, or lint with "
                                      "--device cuda")
        return None
    moved = counted.read_bytes + counted.written_bytes
    if counted.flops > CPU_FULL_MAX_FLOPS or moved > CPU_FULL_MAX_BYTES:
        report.sizes = "not run (no SMALL_SIZES, full size too heavy)"
        report.add("cpu_size", False, f"no SMALL_SIZES and full size is too heavy to lint on the CPU "
                                      f"({counted.flops / 1e9:.3g} GFLOP, {moved / 1e9:.3g} GB): "
                                      f"add SMALL_SIZES, or lint with --device cuda")
        return None
    report.sizes = "full (no SMALL_SIZES)"
    report.warnings.append("no SMALL_SIZES: linted at full size on the CPU; add SMALL_SIZES, a small valid "
                           "instance with odd sizes")
    return "full"


# --- the checks -------------------------------------------------------------------------------

def check_loads(report: LintReport, path: Path, sizes: str, device: Any) -> Loaded | None:
    """Model(*get_init_inputs()) constructs, forward returns tensors, a float64 copy runs."""
    try:
        problem = load_problem(path, sizes="small" if sizes == "small" else None)
        model = reference_model(problem, WEIGHT_SEED).to(device)
        first = make_inputs(problem, FIRST_SEED, device)
        reference = forward(model, first)
    except Exception as exc:
        report.add("loads", False, _first_line(exc) + _where(exc, path))
        return None
    try:
        model64 = oracle.float64_copy(model)
        expected = oracle.run_float64(model64, clones(first))
    except Exception as exc:
        report.add("loads", False, f"the float64 copy (model.double(), inputs upcast) fails: "
                                   f"{_first_line(exc)}{_where(exc, path)}")
        return None
    if len(expected) != len(reference):
        report.add("loads", False, "the float64 copy returns a different number of outputs")
        return None
    loaded = Loaded(problem, model, model64, trial_of(first, reference, expected),
                    make_trial(model, model64, make_inputs(problem, SECOND_SEED, device)), device)
    outs = ", ".join(str(o.dtype).removeprefix("torch.") + str(list(o.shape)) for o in loaded.first.reference)
    report.add("loads", True, f"constructs and runs; outputs {outs}; float64 copy runs")
    return loaded


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        (not isinstance(x, torch.Tensor) and x == y) or
        (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape and
         torch.equal(x.nan_to_num(), y.nan_to_num()))
        for x, y in zip(a, b))


def check_deterministic(report: LintReport, run: Loaded) -> bool:
    """Same seed twice: identical inputs and weights; forward twice on the same inputs: same outputs."""
    again = make_inputs(run.problem, FIRST_SEED, run.device)
    if not _same(run.first.inputs, again):
        return report.add("deterministic", False, "the same seed gave different inputs: get_inputs uses "
                                                   "randomness other than torch's global RNG")
    twin = reference_model(run.problem, WEIGHT_SEED).to(run.device)
    # Parameters, not buffers: forward may update buffers (BatchNorm's running statistics in training mode).
    if not _same(list(run.model.parameters()), list(twin.parameters())):
        return report.add("deterministic", False, "the same seed gave different weights: Model uses randomness "
                                                   "other than torch's global RNG")
    for label, model in (("a second forward call", run.model), ("a second model from the same seed", twin)):
        outputs = forward(model, run.first.inputs)   # the global RNG has moved on: dropout would show
        if _same(outputs, run.first.reference):
            continue
        ratio = run.first.worst_ratio(outputs) if len(outputs) == len(run.first.reference) else float("inf")
        if ratio > RERUN_FRACTION:
            return report.add("deterministic", False, f"{label} on the same inputs gave other outputs "
                                                       f"({ratio:.3g} budgets away): randomness in forward "
                                                       f"(dropout in training mode?)")
    return report.add("deterministic", True, "same seed, same inputs, weights and outputs")


def check_input_sensitivity(report: LintReport, run: Loaded) -> bool:
    """Redraw each tensor input alone: the output must move far beyond the budget."""
    fresh = make_inputs(run.problem, REDRAW_SEED, run.device)
    weak, seen = [], []
    for i, value in enumerate(run.first.inputs):
        if not isinstance(value, torch.Tensor):
            continue
        mixed = list(run.first.inputs)
        mixed[i] = fresh[i]
        ratio = run.first.worst_ratio(forward(run.model, mixed))
        seen.append(f"input {i}: {ratio:.3g}")
        if ratio <= SENSITIVITY_MARGIN:
            weak.append(f"input {i} ({ratio:.3g} budgets)")
    if not seen:
        return report.add("input_sensitive", True, "no tensor inputs")
    if weak:
        return report.add("input_sensitive", False, f"redrawing {', '.join(weak)} barely moves the output "
                                                     f"(needs > {SENSITIVITY_MARGIN:g} budgets): a solution that "
                                                     f"ignores it passes")
    return report.add("input_sensitive", True, "budgets moved per redrawn input: " + ", ".join(seen))


def _parameters(model: Any) -> list[tuple[str, Any]]:
    return [(n, p) for n, p in model.named_parameters() if p.is_floating_point()]


def check_weight_sensitivity(report: LintReport, run: Loaded) -> bool:
    """Perturb every parameter by a random relative amount: the output must move far beyond the budget."""
    if not _parameters(run.model):
        return report.add("weights_sensitive", True, "Model has no parameters")
    perturbed = copy.deepcopy(run.model)
    generator = torch.Generator().manual_seed(REDRAW_SEED)
    with torch.no_grad():
        for _, p in _parameters(perturbed):
            factor = 1 + 0.5 * (2 * torch.rand(p.shape, generator=generator, dtype=torch.float64) - 1)
            p.mul_(factor.to(device=p.device, dtype=p.dtype))
    ratio = run.first.worst_ratio(forward(perturbed, run.first.inputs))
    if ratio <= SENSITIVITY_MARGIN:
        return report.add("weights_sensitive", False, f"perturbing every parameter by up to 50% moves the output "
                                                       f"only {ratio:.3g} budgets: a solution that ignores the "
                                                       f"weights passes")
    return report.add("weights_sensitive", True, f"perturbed weights move the output {ratio:.3g} budgets")


def check_weights_not_default(report: LintReport, run: Loaded) -> bool:
    """No parameter tensor is one repeated value (LayerNorm weight=1, zero bias): a solution could hard-code it."""
    constant = [f"{n} (all {p.flatten()[0].item():g})" for n, p in _parameters(run.model)
                if p.numel() > 1 and bool((p == p.flatten()[0]).all())]
    if constant:
        return report.add("weights_not_default", False, f"constant parameters {', '.join(constant)}: a solution "
                                                         f"that hard-codes them passes; re-draw them in __init__")
    return report.add("weights_not_default", True, "no parameter is a single repeated value")


def _candidate_passes(trial: Trial, index: int, out: Any) -> bool:
    return trial.ratio(index, out) <= 1.0


def _rejects(report: LintReport, name: str, what: str, passing: list[str]) -> bool:
    if passing:
        return report.add(name, False, f"{what} passes the grader's budget for {', '.join(passing)}")
    return report.add(name, True, f"{what} fails the budget")


def check_zeros(report: LintReport, run: Loaded) -> bool:
    passing = [f"output {i}" for trial in (run.first, run.second) for i, r in enumerate(trial.reference)
               if _candidate_passes(trial, i, torch.zeros_like(r))]
    return _rejects(report, "rejects_zeros", "an all-zero output", sorted(set(passing)))


def _constant_like(reference: Any) -> Any:
    if reference.is_floating_point() or reference.is_complex():
        return torch.full_like(reference, reference.mean().item() if reference.numel() else 0)
    values = reference.flatten()
    return torch.full_like(reference, values.mode().values.item() if values.numel() else 0)


def check_constant(report: LintReport, run: Loaded) -> bool:
    passing = [f"output {i}" for trial in (run.first, run.second) for i, r in enumerate(trial.reference)
               if _candidate_passes(trial, i, _constant_like(r))]
    return _rejects(report, "rejects_constant", "a constant output (the reference's mean)", sorted(set(passing)))


def check_passthrough(report: LintReport, run: Loaded) -> bool:
    passing = set()
    for trial in (run.first, run.second):
        for i, r in enumerate(trial.reference):
            for j, x in enumerate(trial.inputs):
                if isinstance(x, torch.Tensor) and x.shape == r.shape and x.dtype == r.dtype \
                        and _candidate_passes(trial, i, x):
                    passing.add(f"output {i} (= input {j})")
    return _rejects(report, "rejects_passthrough", "returning an input unchanged", sorted(passing))


def check_bf16(report: LintReport, run: Loaded) -> bool:
    """The reference computed in bfloat16 (model and inputs cast, output cast back) must fail an fp32/fp16 budget."""
    cast = [x.to(torch.bfloat16) if isinstance(x, torch.Tensor) and x.is_floating_point() else x
            for x in run.second.inputs]
    try:
        outputs = forward(copy.deepcopy(run.model).to(torch.bfloat16), cast)
    except Exception as exc:
        return report.add("rejects_bf16", True, f"the model does not run in bfloat16 ({_first_line(exc)[:80]})")
    if len(outputs) != len(run.second.reference):
        return report.add("rejects_bf16", True, "the bfloat16 model returns other outputs")
    passing = [f"output {i}" for i, (out, r) in enumerate(zip(outputs, run.second.reference))
               if r.dtype != torch.bfloat16 and _candidate_passes(run.second, i, out.to(r.dtype))]
    return _rejects(report, "rejects_bf16", "the reference computed in bfloat16", passing)


def check_replay(report: LintReport, run: Loaded) -> bool:
    """The first trial's reference outputs, replayed on the second trial's inputs, must fail."""
    passing = [f"output {i}" for i, old in enumerate(run.first.reference)
               if _candidate_passes(run.second, i, old)]
    return _rejects(report, "rejects_replay", "the first trial's output replayed on new inputs", passing)


def check_cuda_time_and_memory(report: LintReport, run: Loaded) -> None:
    """--device cuda: the reference's real median time and peak memory at full size."""
    report.peak_bytes = int(torch.cuda.max_memory_allocated(run.device))
    report.add("memory", report.peak_bytes <= MAX_FOOTPRINT,
               f"peak {report.peak_bytes / 1e9:.3g} GB allocated (with the float64 oracle), limit "
               f"{MAX_FOOTPRINT / 1e9:.0f} GB")
    inputs = run.first.inputs
    with torch.no_grad():
        measured = stats.alone([timing.measure(lambda: run.model(*inputs), run.device, TIMING_PROFILES["quick"])])
    report.measured_ms = measured.median_ms
    report.add("time", MIN_MS <= measured.median_ms <= MAX_MS,
               f"reference median {measured.median_ms:.3g} ms on {torch.cuda.get_device_name(run.device)} "
               f"(wanted {MIN_MS}-{MAX_MS} ms)")


CHECKS: list[Callable[[LintReport, Loaded], Any]] = [
    check_deterministic, check_input_sensitivity, check_weight_sensitivity, check_weights_not_default,
    check_zeros, check_constant, check_passthrough, check_bf16, check_replay,
]


def lint_problem(path: Path, device: str | torch.device = "cpu", full: bool = False) -> LintReport:
    """Every check on one problem, in this process."""
    began = time.monotonic()
    path = Path(path)
    device = resolve_device(device) if isinstance(device, str) else device
    report = LintReport(problem=str(path), name=problem_name(path), device=device.type)
    module = _import_for_estimate(report, path)
    if module is not None:
        try:
            estimate_size(report, module)
            if device.type == "cpu" and report.work is not None:
                report.warnings.extend(size_warnings(report.work))
        except Exception as exc:
            report.warnings.append(f"could not estimate full-size work on the meta device: {_first_line(exc)}")
        sizes = choose_size(report, module, device, full)
        if sizes is not None:
            _run_checks(report, path, sizes, device)
    report.seconds = round(time.monotonic() - began, 2)
    return report.finish()


def _import_for_estimate(report: LintReport, path: Path) -> Any:
    """The problem module at full size, or None with a failed `loads` check saying why."""
    try:
        return load_problem(path)
    except Exception as exc:
        report.add("loads", False, _first_line(exc) + _where(exc, path))
        return None


def _run_checks(report: LintReport, path: Path, sizes: str, device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    run = check_loads(report, path, sizes, device)
    if run is None:
        return
    if device.type == "cuda":
        check_cuda_time_and_memory(report, run)
    for check in CHECKS:
        try:
            check(report, run)
        except Exception as exc:
            report.add(check.__name__.removeprefix("check_"), False, f"the check raised {_first_line(exc)}")


def run(link: Link, settings: LintSettings) -> None:
    """Say where it runs, then lint the problem when asked; a problem that raises anywhere is a failed row."""
    device = resolve_device(settings.device)
    link.send(started(device, sizes=""))  # the report says at which sizes each check ran
    path = Path(settings.problem)

    def lint(_: Lint) -> Linted:
        try:
            return Linted(report=lint_problem(path, device, settings.full))
        except BaseException as exc:  # a bug of the lint's own, or SystemExit from the problem file
            traceback.print_exc()
            report = LintReport(problem=str(path), name=problem_name(path), device=device.type)
            report.add("runs", False, f"the lint raised {_first_line(exc)}")
            return Linted(report=report.finish())

    link.serve({Lint: lint})
