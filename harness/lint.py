"""`kb lint`: check that problem files are strong enough to grade against.

A grader is only as good as its problems. A problem whose output is (near) zero, constant,
an input passed through, independent of an input or of the weights, random, or exactly
computable in bfloat16 lets a trivial "kernel" pass. Each check here builds the candidate a
reward hacker would submit and asks the grader's own measures (harness.compare against the
float64 oracle, harness.tolerance.budget) whether it passes: a check means what a grade means.

Every problem is linted in its own child process (`python -m harness.lint --one PATH`), so an
import error, a segfault or a hang is one failed row, and problems never share globals.
On CPU a problem runs at its SMALL_SIZES; its full-size work and footprint are estimated on the
meta device (nothing allocated). On CUDA it runs at full size, and time and memory are measured.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent

# Seeds of the lint's own draws: fixed, so a lint is reproducible.
WEIGHT_SEED, FIRST_SEED, SECOND_SEED, REDRAW_SEED = 1234, 1, 2, 3
# A change counts as "sensitive" only when it is this many budgets away from the oracle.
SENSITIVITY_MARGIN = 10.0
# Run-to-run rounding allowed in "deterministic" (a fraction of the budget).
RERUN_FRACTION = 0.1
# The size rules (docs/lint.md; /work/notes/problem_conventions.md rule 1).
H100_FLOPS, H100_BYTES_PER_S = 45e12, 2.5e12
MIN_MS, MAX_MS = 0.5, 50.0
MAX_FOOTPRINT = 24e9
ORACLE_FACTOR = 3          # the problem's tensors, plus a float64 copy of them for the oracle
# A problem without SMALL_SIZES is linted on the CPU at full size only when it is this light.
CPU_FULL_MAX_FLOPS, CPU_FULL_MAX_BYTES = 20e9, 1e9
DEFAULT_TIMEOUT = 300.0


@dataclass
class Check:
    name: str
    passed: bool
    reason: str


@dataclass
class Work:
    flops: int
    read_bytes: int
    written_bytes: int
    outputs: list[str]
    est_ms: float
    footprint_bytes: int


@dataclass
class LintReport:
    problem: str
    name: str
    status: str = "fail"                 # pass | fail
    device: str = "cpu"
    sizes: str = ""                      # what size the checks ran at
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    work: Work | None = None             # full-size work, estimated on the meta device
    measured_ms: float | None = None     # --device cuda: the reference's median time at full size
    peak_bytes: int | None = None        # --device cuda: peak allocated memory at full size
    seconds: float = 0.0

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def add(self, name: str, passed: bool, reason: str) -> bool:
        self.checks.append(Check(name, passed, reason))
        return passed

    def finish(self) -> "LintReport":
        self.status = "pass" if self.checks and not self.failed else "fail"
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LintReport":
        data = dict(data)
        data["checks"] = [Check(**c) for c in data.get("checks", [])]
        data["work"] = Work(**data["work"]) if data.get("work") else None
        return cls(**data)


def problem_name(path: Path) -> str:
    """<set>/<name> for problems/<set>/<name>.py, else the file name."""
    return f"{path.parent.name}/{path.stem}"


# --- in the child: one problem ---------------------------------------------------------------

def _torch():
    import torch
    return torch


def _clone(values: list[Any]) -> list[Any]:
    torch = _torch()
    return [v.clone() if isinstance(v, torch.Tensor) else v for v in values]


def _upcast(values: list[Any]) -> list[Any]:
    from .worker import _upcast as upcast
    return upcast(values)


def make_inputs(problem: Any, seed: int, device: Any) -> list[Any]:
    """Drawn exactly as the grader draws them (harness.worker.make_inputs)."""
    from .worker import make_inputs as grader_inputs
    return grader_inputs(problem, seed, device)


def construct(problem: Any, device: Any) -> Any:
    """Built exactly as the grader builds it: the same seed before get_init_inputs and before Model."""
    from .worker import construct as grader_construct, init_inputs
    return grader_construct(problem.Model, init_inputs(problem, WEIGHT_SEED), WEIGHT_SEED).to(device)


def forward(model: Any, inputs: list[Any]) -> list[Any]:
    """One forward on private copies of the inputs; detached copies of the outputs."""
    from .compare import as_outputs
    torch = _torch()
    with torch.no_grad():
        return [t.detach().clone() for t in as_outputs(model(*_clone(inputs)))]


@dataclass
class Trial:
    """One draw of inputs with its reference outputs, float64 oracle and the grader's budgets."""

    inputs: list[Any]
    reference: list[Any]
    oracle: list[Any]
    budgets: list[Any]

    def ratio(self, index: int, out: Any) -> float:
        """How many budgets `out` is from the oracle for output `index` (inf: wrong shape/dtype/NaN/values)."""
        from .compare import measure_error
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
    oracle = None
    if model64 is not None:
        try:
            oracle = forward(model64, _upcast(inputs))
        except Exception:
            oracle = None
    return trial_of(inputs, forward(model, inputs), oracle)


def trial_of(inputs: list[Any], reference: list[Any], oracle: list[Any] | None) -> Trial:
    """A Trial from outputs already computed, with the grader's budgets."""
    from . import compare, tolerance
    torch = _torch()
    if oracle is None or len(oracle) != len(reference):
        oracle = [r.to(torch.float64) if r.is_floating_point() else r for r in reference]
    budgets = []
    for i, (r, o) in enumerate(zip(reference, oracle)):
        own = compare.measure_error(r, o, r, f"output {i}")
        budgets.append(tolerance.budget(compare.OutputSpec.of(r).dtype, own.rel_err, own.elem_err))
    return Trial(inputs, reference, oracle, budgets)


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

def estimate_work(problem: Any) -> Work:
    """Full-size FLOPs, bytes, outputs, time and footprint without allocating: everything on `meta`."""
    from . import compare, roofline
    counted, out = roofline.count_on_meta(problem, WEIGHT_SEED)
    outputs = compare.as_outputs(out)
    written = roofline.tensor_bytes(outputs)
    est_ms = 1e3 * max(counted.flops / H100_FLOPS, (counted.read_bytes + written) / H100_BYTES_PER_S)
    work = Work(flops=counted.flops, read_bytes=counted.read_bytes, written_bytes=written,
                outputs=[str(compare.OutputSpec.of(o)) for o in outputs], est_ms=est_ms,
                footprint_bytes=ORACLE_FACTOR * (counted.read_bytes + written))
    return work


def size_warnings(work: Work) -> list[str]:
    notes = []
    if not MIN_MS <= work.est_ms <= MAX_MS:
        notes.append(f"estimated H100 time {work.est_ms:.3g} ms is outside {MIN_MS}-{MAX_MS} ms "
                     f"({work.flops / 1e9:.3g} GFLOP, {(work.read_bytes + work.written_bytes) / 1e9:.3g} GB moved)")
    if work.footprint_bytes > MAX_FOOTPRINT:
        notes.append(f"estimated footprint {work.footprint_bytes / 1e9:.3g} GB (with the float64 oracle) is over "
                     f"{MAX_FOOTPRINT / 1e9:.0f} GB")
    return notes


def choose_size(report: LintReport, module: Any, device: Any, full: bool) -> str | None:
    """'small', 'full', or None when the checks cannot run here (a failed check says why)."""
    if full or device.type == "cuda":
        report.sizes = "full"
        return "full"
    if isinstance(getattr(module, "SMALL_SIZES", None), dict) and module.SMALL_SIZES:
        report.sizes = "small: " + ", ".join(f"{k}={v}" for k, v in module.SMALL_SIZES.items())
        return "small"
    report.sizes = "full (no SMALL_SIZES)"
    report.warnings.append("no SMALL_SIZES: linted at full size on the CPU; add a small odd-sized instance "
                           "(conventions rule 2)")
    work = report.work
    if work is not None and (work.flops > CPU_FULL_MAX_FLOPS or work.read_bytes + work.written_bytes > CPU_FULL_MAX_BYTES):
        report.add("cpu_size", False, f"no SMALL_SIZES and full size is too heavy to lint on the CPU "
                                      f"({work.flops / 1e9:.3g} GFLOP, {(work.read_bytes + work.written_bytes) / 1e9:.3g} GB): "
                                      f"add SMALL_SIZES, or lint with --device cuda")
        return None
    return "full"


# --- the checks -------------------------------------------------------------------------------

def check_loads(report: LintReport, path: Path, sizes: str, device: Any) -> Loaded | None:
    """Model(*get_init_inputs()) constructs, forward returns tensors, a float64 copy runs."""
    from .problem import load_problem
    torch = _torch()
    try:
        problem = load_problem(path, sizes="small" if sizes == "small" else None)
        model = construct(problem, device)
        first = make_inputs(problem, FIRST_SEED, device)
        reference = forward(model, first)
    except Exception as exc:
        report.add("loads", False, _first_line(exc) + _where(exc, path))
        return None
    try:
        model64 = copy.deepcopy(model).to(torch.float64)
        oracle = forward(model64, _upcast(first))
    except Exception as exc:
        report.add("loads", False, f"the float64 copy (model.double(), inputs upcast) fails: "
                                   f"{_first_line(exc)}{_where(exc, path)}")
        return None
    if len(oracle) != len(reference):
        report.add("loads", False, "the float64 copy returns a different number of outputs")
        return None
    loaded = Loaded(problem, model, model64, trial_of(first, reference, oracle),
                    make_trial(model, model64, make_inputs(problem, SECOND_SEED, device)), device)
    outs = ", ".join(str(o.dtype).removeprefix("torch.") + str(list(o.shape)) for o in loaded.first.reference)
    report.add("loads", True, f"constructs and runs; outputs {outs}; float64 copy runs")
    return loaded


def _same(a: list[Any], b: list[Any]) -> bool:
    torch = _torch()
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
    twin = construct(run.problem, run.device)
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
    torch = _torch()
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
    torch = _torch()
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
    torch = _torch()
    passing = [f"output {i}" for trial in (run.first, run.second) for i, r in enumerate(trial.reference)
               if _candidate_passes(trial, i, torch.zeros_like(r))]
    return _rejects(report, "rejects_zeros", "an all-zero output", sorted(set(passing)))


def _constant_like(reference: Any) -> Any:
    torch = _torch()
    if reference.is_floating_point() or reference.is_complex():
        return torch.full_like(reference, reference.mean().item() if reference.numel() else 0)
    values = reference.flatten()
    return torch.full_like(reference, values.mode().values.item() if values.numel() else 0)


def check_constant(report: LintReport, run: Loaded) -> bool:
    passing = [f"output {i}" for trial in (run.first, run.second) for i, r in enumerate(trial.reference)
               if _candidate_passes(trial, i, _constant_like(r))]
    return _rejects(report, "rejects_constant", "a constant output (the reference's mean)", sorted(set(passing)))


def check_passthrough(report: LintReport, run: Loaded) -> bool:
    torch = _torch()
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
    torch = _torch()
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
    from . import stats, timing
    from .config import TIMING_PROFILES
    torch = _torch()
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


def _resolve_device(name: str) -> Any:
    torch = _torch()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def lint_problem(path: Path, device: str = "cpu", full: bool = False) -> LintReport:
    """Every check on one problem, in this process (the CLI runs each problem in a child)."""
    started = time.monotonic()
    path = Path(path)
    dev = _resolve_device(device)
    report = LintReport(problem=str(path), name=problem_name(path), device=dev.type)
    module = _import_for_estimate(report, path)
    if module is not None:
        try:
            report.work = estimate_work(module)
            if dev.type == "cpu":
                report.warnings.extend(size_warnings(report.work))
        except Exception as exc:
            report.warnings.append(f"could not estimate full-size work on the meta device: {_first_line(exc)}")
        sizes = choose_size(report, module, dev, full)
        if sizes is not None:
            _run_checks(report, path, sizes, dev)
    report.seconds = round(time.monotonic() - started, 2)
    return report.finish()


def _import_for_estimate(report: LintReport, path: Path) -> Any:
    """The problem module at full size, or None with a failed `loads` check saying why."""
    from .problem import load_problem
    try:
        return load_problem(path)
    except Exception as exc:
        report.add("loads", False, _first_line(exc) + _where(exc, path))
        return None


def _run_checks(report: LintReport, path: Path, sizes: str, device: Any) -> None:
    torch = _torch()
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


# --- in the parent: many problems, each in a child --------------------------------------------

def find_problems(targets: list[Path]) -> list[Path]:
    """Problem files named, or found in the named folders (<dir>/*.py and <dir>/*/*.py)."""
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            found.extend(p for pattern in ("*.py", "*/*.py") for p in sorted(target.glob(pattern))
                         if p.name != "__init__.py")
        elif target.is_file():
            found.append(target)
        else:
            raise FileNotFoundError(f"{target} does not exist")
    return list(dict.fromkeys(found))


def _failed_row(path: Path, device: str, reason: str, seconds: float) -> LintReport:
    report = LintReport(problem=str(path), name=problem_name(path), device=device)
    report.add("runs", False, reason)
    report.seconds = round(seconds, 2)
    return report.finish()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _child(path: str, device: str, full: bool, out: str, log: str) -> None:
    """In the forked child: own session (killable as a group), output to a log, the report to `out`."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.exit(_child_main(["--one", path, "--device", device, "--out", out] + (["--full"] if full else [])))


def _warm() -> None:
    """Run in the fork server before any child: import torch and its meta-device registrations once."""
    torch = _torch()
    from torch.utils.flop_counter import flop_registry  # noqa: F401
    with torch.device("meta"):
        torch.relu(torch.randn(2, 2))


_context = None


def _fork_context() -> Any:
    """A fork server that imported torch once (no CPU work ran in it, so forking it is safe)."""
    global _context
    if _context is None:
        import multiprocessing
        _context = multiprocessing.get_context("forkserver")
        os.environ["KB_LINT_WARM"] = "1"   # read when the fork server imports this module
        _context.set_forkserver_preload(["harness.lint"])
    return _context


def lint_in_child(path: Path, device: str, full: bool, timeout: float) -> LintReport:
    """lint_problem in a fresh process; a crash, hang or unreadable answer is a failed row."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kb-lint-") as tmp:
        out, log = Path(tmp) / "report.json", Path(tmp) / "log.txt"
        child = _fork_context().Process(target=_child, args=(str(path), device, full, str(out), str(log)))
        child.start()
        os.environ.pop("KB_LINT_WARM", None)   # the fork server has started; nothing else should warm
        child.join(timeout)
        if child.is_alive():
            _kill(child)
            return _failed_row(path, device, f"timed out after {timeout:g} s (a hang, or too heavy at this size)",
                               time.monotonic() - started)
        if out.is_file():
            try:
                return LintReport.from_dict(json.loads(out.read_text()))
            except (ValueError, TypeError) as exc:
                return _failed_row(path, device, f"unreadable lint answer: {exc}", time.monotonic() - started)
        code = child.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        output = log.read_text(errors="replace") if log.is_file() else ""
        return _failed_row(path, device, f"the lint process died ({how}): {_last_line(output)}",
                           time.monotonic() - started)


def _kill(child: Any) -> None:
    import signal
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    child.join()


def lint_all(paths: list[Path], device: str, full: bool, timeout: float = DEFAULT_TIMEOUT,
             jobs: int = 1, progress: Callable[[LintReport], None] | None = None) -> list[LintReport]:
    def one(path: Path) -> LintReport:
        report = lint_in_child(path, device, full, timeout)
        if progress:
            progress(report)
        return report

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, paths))


# --- rendering --------------------------------------------------------------------------------

def _si(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}{unit}"
    return f"{value:.3g}{unit}"


def _ms(report: LintReport) -> str:
    if report.measured_ms is not None:
        return f"{report.measured_ms:.3g}"
    return f"~{report.work.est_ms:.3g}" if report.work else "-"


def render_table(reports: list[LintReport]) -> str:
    width = max([len(r.name) for r in reports] + [7])
    head = f"{'problem':<{width}}  {'status':<6}  {'flops':>7}  {'bytes':>7}  {'ms':>7}  failed checks"
    lines = [head, "-" * len(head)]
    for r in reports:
        moved = r.work.read_bytes + r.work.written_bytes if r.work else None
        failed = ", ".join(c.name for c in r.failed) or "-"
        lines.append(f"{r.name:<{width}}  {r.status.upper():<6}  {_si(r.work.flops if r.work else None):>7}  "
                     f"{_si(moved, 'B'):>7}  {_ms(r):>7}  {failed}")
        lines.extend(f"{'':<{width}}    {c.name}: {c.reason}" for c in r.failed)
        lines.extend(f"{'':<{width}}    warning: {w}" for w in r.warnings)
    passed = sum(r.status == "pass" for r in reports)
    warned = sum(bool(r.warnings) for r in reports)
    lines.append("")
    lines.append(f"{len(reports)} problems: {passed} pass, {len(reports) - passed} fail, {warned} with warnings "
                 f"(ms: ~ estimated for one H100 at full size, else measured)")
    return "\n".join(lines)


def to_json(reports: list[LintReport]) -> str:
    return json.dumps([asdict(r) | {"failed": [c.name for c in r.failed]} for r in reports], indent=2)


# --- the child's entry point ------------------------------------------------------------------

def _child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.lint", description="lint one problem (internal: "
                                                                                  "kb lint runs this per problem)")
    parser.add_argument("--one", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sys.stdin = open(os.devnull)
    try:
        report = lint_problem(args.one, args.device, args.full)
    except BaseException as exc:  # a bug of the lint's own, or SystemExit from the problem file
        report = _failed_row(args.one, args.device, f"the lint raised {_first_line(exc)}", 0.0)
        traceback.print_exc()
    args.out.write_text(json.dumps(asdict(report)))
    return 0


if os.environ.get("KB_LINT_WARM") == "1" and __name__ != "__main__":
    _warm()

if __name__ == "__main__":
    sys.exit(_child_main())
