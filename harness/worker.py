"""Child processes: where the reference and the solution actually run.

Three roles, each in its own process, started by harness.grade:

  reference  loads the problem only. Computes the reference outputs and the
             float64 oracle, times the reference, and later measures the
             solution's saved outputs against the oracle. Never imports
             solution code, so nothing in it can be patched by a solution.
  build      imports the solution with torch's JIT loaders swapped for the
             content-addressed cache (buildcache.py), then exits.
  solution   imports the solution again (builds now come from the cache),
             runs ModelNew on inputs from seeds it learns only after loading,
             saves the outputs for the reference process to check, and times.

Answers go to the parent through protocol.Link; anything a role cannot do
comes back as {"ok": false, "status": ..., "reason": ...}.
"""
from __future__ import annotations

import copy
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

# Bound before any solution code can run: see timing.py.
import torch

from . import compare, guard, provenance, roofline, seeds, timing
from .config import TimingProfile
from .buildcache import CompileError, ExtensionCache, NeedsCuda
from .problem import BadInput, has_small_sizes, load_module, load_problem, resize
from .protocol import Link


class Failure(Exception):
    """What a role reports instead of an answer."""

    def __init__(self, status: str, reason: str, detail: str = ""):
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


_NO_CUDA_MESSAGES = ("Torch not compiled with CUDA enabled", "Found no NVIDIA driver",
                     "No CUDA GPUs are available", "no CUDA-capable device")


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


def classify(exc: BaseException, stage_status: str, focus: Path | None) -> Failure:
    """Map an exception raised while loading or running the solution to a status."""
    detail = "".join(traceback.format_exception(exc))[-4000:]
    if isinstance(exc, CompileError):
        return Failure("compile_error", exc.reason, exc.log)
    if isinstance(exc, NeedsCuda) or any(m in str(exc) for m in _NO_CUDA_MESSAGES):
        return Failure("unsupported", f"the solution needs CUDA and this machine has none ({describe(exc, focus)})",
                       detail)
    if isinstance(exc, torch.OutOfMemoryError):
        return Failure("runtime_error", f"out of memory: {describe(exc, focus)}", detail)
    return Failure(stage_status, describe(exc, focus), detail)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInput("--device cuda asked for, but torch sees no CUDA device here "
                       f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); use --device cpu")
    if name not in ("cpu", "cuda"):
        raise BadInput(f"unknown device {name!r}: use cuda, cpu or auto")
    return torch.device(name)


def make_inputs(problem: Any, seed: int, device: torch.device, scale: float = 1.0) -> list[Any]:
    """The problem's inputs for `seed`, floating-point ones multiplied by `scale` (see seeds.call_scale).

    Drawn on the device itself (torch's factory functions follow the default device): GBs of random
    numbers take seconds on a CPU. Every process draws the same way, so the same seed gives the same inputs.
    """
    torch.manual_seed(seed)
    with torch.device(device):
        inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
    if scale != 1.0:
        for x in inputs:
            if _scalable(x):
                x.mul_(scale)
    return inputs


def _scalable(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


class CallInputs:
    """The inputs of the timed calls: one draw, rescaled before every call so no two calls share contents, in
    copies that the calls take in turn (timing.placements: where a buffer lies moves a kernel's time)."""

    def __init__(self, problem: Any, seed: int, scale_seed: int, device: torch.device):
        first = make_inputs(problem, seed, device)
        self.base = [x.clone() if _scalable(x) else None for x in first]
        self.copies = [first] + [[x.clone() if isinstance(x, torch.Tensor) else x for x in first]
                                 for _ in range(timing.placements(roofline.tensor_bytes(first), device) - 1)]
        self.values = first
        self.scale_seed = scale_seed

    def refresh(self, index: int) -> None:
        self.values = self.copies[index % len(self.copies)]
        scale = seeds.call_scale(self.scale_seed, index)
        for value, base in zip(self.values, self.base):
            if base is not None:
                torch.mul(base, scale, out=value)


def init_inputs(problem: Any, seed: int) -> list[Any]:
    torch.manual_seed(seed)
    return list(problem.get_init_inputs())


def construct(cls: type, init: list[Any], seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)  # KernelBench's semantics: the same seed before Model and ModelNew
    return cls(*init)


def sync_weights(reference: torch.nn.Module, solution: torch.nn.Module) -> str:
    """Give the solution the reference's parameters and buffers where they correspond; say how."""
    ref, sol = reference.state_dict(), solution.state_dict()
    if not sol:
        return "none: ModelNew has no parameters or buffers"
    by_name = {k: ref[k] for k, v in sol.items() if k in ref and ref[k].shape == v.shape}
    if len(by_name) == len(sol):
        pairs, how = [(sol[k], by_name[k]) for k in sol], f"name: all {len(sol)} tensors loaded from the reference"
    elif len(ref) == len(sol) and all(a.shape == b.shape for a, b in zip(ref.values(), sol.values())):
        pairs, how = list(zip(sol.values(), ref.values())), f"order: all {len(sol)} tensors loaded by position"
    elif by_name:
        pairs = [(sol[k], by_name[k]) for k in by_name]
        how = f"partial: {len(by_name)} of {len(sol)} tensors loaded by name, the rest from the shared seed"
    else:
        return "seed: no tensor matched the reference; weights come from the shared seed only"
    with torch.no_grad():
        for target, source in pairs:
            target.copy_(source)
    return how


def _short(values: list[Any]) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."


def load_sized_problem(config: dict[str, Any], device: torch.device) -> tuple[Any, str]:
    """The problem at the configured sizes, and which ones: "auto" means small on the CPU where it can be."""
    sizes = config.get("sizes") or "auto"
    problem = load_problem(Path(config["problem"]))
    if sizes == "auto":
        sizes = "small" if device.type == "cpu" and has_small_sizes(problem) else "full"
    if sizes == "small":
        return problem, f"small {resize(problem, 'small', Path(config['problem']))}"
    return problem, "full"


def device_info(device: torch.device) -> dict[str, Any]:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    return {"device": device.type, "device_name": name, "torch": torch.__version__,
            "cuda": torch.version.cuda}


# --- reference -------------------------------------------------------------------------------

def _float64_oracle(model: torch.nn.Module) -> torch.nn.Module | None:
    try:
        return copy.deepcopy(model).to(torch.float64)
    except Exception:
        return None


def _upcast(inputs: list[Any]) -> list[Any]:
    return [x.to(torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs]


class Reference:
    """The problem's Model at some size, its float64 oracle, and the outputs of trials awaiting comparison."""

    def __init__(self, problem: Any, weight_seed: int, device: torch.device):
        self.problem, self.device = problem, device
        self.model = construct(problem.Model, init_inputs(problem, weight_seed), weight_seed).to(device)
        self.model64 = _float64_oracle(self.model)
        self.pending: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}

    def prepare(self, trial: dict[str, Any]) -> dict[str, Any]:
        """Reference outputs and oracle for one input draw, kept under the trial's id until compared."""
        inputs = make_inputs(self.problem, trial["seed"], self.device, trial.get("scale", 1.0))
        with torch.no_grad():
            reference = [t.detach().clone() for t in compare.as_outputs(self.model(*inputs))]
            oracle = self._oracle(inputs, reference)
        oracle_kind = "float64" if oracle is not None else "reference"
        if oracle is None:
            oracle = [r.to(torch.float64) if r.is_floating_point() else r for r in reference]
        self.pending[trial["id"]] = (oracle, reference)
        errors = [compare.measure_error(r, o, r, f"output {i}") for i, (r, o) in enumerate(zip(reference, oracle))]
        return {"outputs": [compare.OutputSpec.of(r).__dict__ for r in reference], "oracle": oracle_kind,
                "ref_errors": [e.__dict__ for e in errors]}

    def _oracle(self, inputs: list[Any], reference: list[torch.Tensor]) -> list[torch.Tensor] | None:
        if self.model64 is None:
            return None
        try:
            oracle = compare.as_outputs(self.model64(*_upcast(inputs)))
        except Exception:
            return None
        return oracle if len(oracle) == len(reference) else None

    def count(self, seed: int) -> dict[str, Any] | None:
        """FLOPs and bytes of one forward at the graded sizes (harness.roofline), or None where torch's formulas
        cannot follow it: no count means no floor, and no grade is lost."""
        try:
            work, _ = roofline.count(self.model, make_inputs(self.problem, seed, self.device))
        except Exception:  # the policy above: any failure to count means "no floor"
            return None
        return {"flops": work.flops, "read_bytes": work.read_bytes}

    def time(self, message: dict[str, Any]) -> dict[str, Any]:
        calls = CallInputs(self.problem, message["seed"], message["scales"], self.device)
        with torch.no_grad():
            return timing.measure(lambda: self.model(*calls.values), self.device,
                                  TimingProfile(**message["profile"]), before_call=calls.refresh)


def run_reference(link: Link, config: dict[str, Any]) -> None:
    device = resolve_device(config["device"])
    problem, sizes = load_sized_problem(config, device)
    reference = Reference(problem, config["weight_seed"], device)
    if device.type == "cuda":
        timing.limit_counter(device)  # NVML opens here, not in the first timing loop
    graded: tuple[Reference, dict[str, Any]] | None = None  # the graded sizes, while resized for generalization
    link.send(ok=True, sizes=sizes, **device_info(device))
    for message in link.commands():
        op = message["op"]
        if op == "prepare":
            link.send(ok=True, trials=[reference.prepare(trial) for trial in message["trials"]])
        elif op == "count":
            link.send(ok=True, work=reference.count(message["seed"]))
        elif op == "time":
            link.send(ok=True, timing=reference.time(message))
        elif op == "compare":
            oracle, outputs = reference.pending.pop(message["trial"])
            link.send(ok=True, errors=_compare_trial(Path(message["path"]), oracle, outputs, device))
        elif op == "resize":  # the shape-generalization trial: the problem's SMALL_SIZES, if it has them
            if not has_small_sizes(problem):
                link.send(ok=True, sizes=None)
                continue
            graded = (reference, {name: getattr(problem, name) for name in problem.SMALL_SIZES})
            sizes = resize(problem, "small", Path(config["problem"]))
            reference = Reference(problem, config["weight_seed"], device)
            link.send(ok=True, sizes=sizes)
        elif op == "restore":  # back to the graded sizes, for the reference's second timing loop
            if graded is not None:
                resize(problem, graded[1], Path(config["problem"]))
                reference, graded = graded[0], None
            link.send(ok=True)


def _compare_trial(path: Path, oracle: list[torch.Tensor], reference: list[torch.Tensor],
                   device: torch.device) -> list[dict[str, Any]]:
    """Measure the solution's saved outputs; the file is read as data only (weights_only), mapped rather than
    read through its zip records (4x faster), and copied at once so later writes to the file change nothing."""
    def unusable(problem: str) -> list[dict[str, Any]]:
        return [compare.OutputError.unmeasurable(problem).__dict__]

    expected_bytes = roofline.tensor_bytes(reference)
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
    return [compare.measure_error(out, o, r, f"output {i}").__dict__
            for i, (out, o, r) in enumerate(zip(outputs, oracle, reference))]


# --- build and solution ------------------------------------------------------------------------

def _import_solution(config: dict[str, Any], device: torch.device,
                     counter: guard.OwnCodeCounter | None = None) -> tuple[Any, ExtensionCache]:
    solution_path = Path(config["solution"])
    cache = ExtensionCache(Path(config["cache_dir"]), solution_path, cuda_available=device.type == "cuda",
                           wrap=counter.wrap if counter else lambda module: module)
    cache.install()
    try:
        module = load_module(solution_path, "kb_solution")
    except BaseException as exc:  # SystemExit from the solution's top level too
        raise classify(exc, "load_error", solution_path) from None
    _no_caught_build_failure(cache)
    return module, cache


def _no_caught_build_failure(cache: ExtensionCache) -> None:
    """A build that failed is a compile_error even if the solution caught it and carried on."""
    if cache.failures:
        raise classify(cache.failures[0], "compile_error", None)


def run_build(link: Link, config: dict[str, Any]) -> None:
    device = resolve_device(config["device"])
    module, cache = _import_solution(config, device)
    if config.get("problem") and hasattr(module, "ModelNew"):
        _construct_for_builds(module, config, cache)
    link.send(ok=True, extensions=[e.__dict__ for e in cache.extensions])


def _construct_for_builds(module: Any, config: dict[str, Any], cache: ExtensionCache) -> None:
    """Construct ModelNew once, for solutions that call load_inline in __init__; other failures wait for
    the solution process, which reports them with their proper status."""
    try:
        problem, _ = load_sized_problem(config, resolve_device(config["device"]))
        module.ModelNew(*init_inputs(problem, config["weight_seed"]))
    except (CompileError, NeedsCuda) as exc:
        raise classify(exc, "load_error", None) from None
    except BaseException:
        pass
    _no_caught_build_failure(cache)


def run_solution(link: Link, config: dict[str, Any]) -> None:
    device = resolve_device(config["device"])
    if device.type == "cuda":
        torch.empty(0, device=device)  # create the CUDA context now, before any solution code exists here,
        timing.limit_counter(device)   # and open the driver's count of time at the power limit
    problem, _ = load_sized_problem(config, device)
    link.send(ok=True)  # warm, and no GPU work until the parent says to load, never while the reference is timed
    commands = link.commands()
    if next(commands, {}).get("op") != "load":
        return
    solution = Solution(config, problem, device)
    link.send(ok=True, weights=solution.weights, extensions=[e.__dict__ for e in solution.cache.extensions])
    for message in commands:
        try:
            with torch.no_grad():
                link.send(ok=True, **solution.serve(message))
        except Failure:
            raise
        except BaseException as exc:
            raise classify(exc, "runtime_error", Path(config["solution"])) from None


class Solution:
    """ModelNew under the guard's rules: checked trials, timing with spot checks, provenance, resizing."""

    def __init__(self, config: dict[str, Any], problem: Any, device: torch.device):
        self.config, self.problem, self.device = config, problem, device
        self.state = guard.StateSnapshot()
        self.counter = guard.OwnCodeCounter()
        self.module, self.cache = _import_solution(config, device, self.counter)
        self.model, self.weights = _construct_model_new(self.module, config, problem, device)
        self.counter.watch_triton()
        _keep_rules(self.state.check, "while loading")
        self.require_own_code = config.get("require_own_code", True)
        self.checker = guard.CallChecker(self.counter, require_own_code=self.require_own_code)

    def serve(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message["op"]
        if op == "run":
            return self.run(message)
        if op == "time":
            return {"timing": self.time(message)}
        if op == "provenance":
            return {"provenance": self.provenance(message["seed"]).__dict__}
        if op == "resize":
            sizes = resize(self.problem, "small", Path(self.config["problem"]))
            self.model, self.weights = _construct_model_new(self.module, self.config, self.problem, self.device)
            return {"sizes": sizes, "weights": self.weights}
        raise ValueError(f"unknown op {op!r}")

    def run(self, message: dict[str, Any]) -> dict[str, Any]:
        """One checked call; its outputs are saved for the reference process to measure."""
        inputs = make_inputs(self.problem, message["seed"], self.device)
        with guard.PoisonedMemory.around(inputs, self.device):
            outputs = compare.as_outputs(_keep_rules(self.checker.call, lambda: self.model(*inputs), inputs))
        torch.save([t.detach().to("cpu", copy=True) for t in outputs], message["path"])
        _keep_rules(self.state.check, "during forward")
        return {}

    def time(self, message: dict[str, Any]) -> dict[str, Any]:
        """Timed calls on fresh inputs; the spot-checked ones save their outputs. Own code must run in all."""
        calls = CallInputs(self.problem, message["seed"], message["scales"], self.device)
        checks = {int(index): path for index, path in message.get("checks", {}).items()}
        threads = guard.ThreadWatch()
        made = 0

        def forward() -> Any:
            nonlocal made
            made += 1
            return self.model(*calls.values)

        def before_call(index: int) -> None:
            threads.before_call(index)
            calls.refresh(index)

        checked: dict[int, list[Any]] = {}

        def keep_checked(index: int, outputs: list[Any]) -> None:
            """Right after the call, with the device idle: copies at device speed, then to the host. Saved to
            their files after the loop: writing hundreds of MB would leave the card idle inside it."""
            _keep_rules(guard.check_device_memory, outputs)
            copies = [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in outputs]
            checked[index] = [t.to("cpu") if isinstance(t, torch.Tensor) else t for t in copies]

        own_before = self.counter.calls
        result = timing.measure(forward, self.device, TimingProfile(**message["profile"]),
                                before_call=before_call, checked=frozenset(checks), on_checked=keep_checked)
        for index, outputs in checked.items():
            torch.save(outputs, checks[index])
        _keep_rules(threads.finish)
        _keep_rules(self.state.check, "while being timed")
        own_calls = self.counter.calls - own_before
        if self.require_own_code and self.counter.countable and own_calls < made:
            raise Failure("rejected", f"only {own_calls} of {made} timed calls ran the solution's own compiled "
                                      "code, though every checked call did; the code that is timed must be the "
                                      "code that is checked")
        return result

    def provenance(self, seed: int) -> provenance.Provenance:
        if self.device.type != "cuda":
            return provenance.host_share(self.checker.own_seconds, self.checker.forward_seconds)
        inputs = make_inputs(self.problem, seed, self.device)
        own = provenance.kernel_names(self.cache.cuda_sources) | self.counter.triton_kernels
        return provenance.gpu_share(lambda: self.model(*inputs), own)


def _construct_model_new(module: Any, config: dict[str, Any], problem: Any,
                         device: torch.device) -> tuple[torch.nn.Module, str]:
    """Construct ModelNew beside a seeded Model and give it Model's weights."""
    solution_path = Path(config["solution"])
    if not hasattr(module, "ModelNew"):
        raise Failure("load_error", f"{solution_path.name} defines no ModelNew: add `class ModelNew(nn.Module)` "
                                    "taking the same constructor arguments as the problem's Model")
    seed = config["weight_seed"]
    init = init_inputs(problem, seed)
    try:
        model = construct(module.ModelNew, init, seed)
        weights = sync_weights(construct(problem.Model, init, seed), model)
        return model.to(device), weights
    except BaseException as exc:
        failure = classify(exc, "load_error", solution_path)
        if failure.status == "load_error":
            failure.reason = (f"ModelNew(*get_init_inputs()) failed: {failure.reason} (get_init_inputs() gives "
                              f"{_short(init)}; ModelNew must take the same arguments as Model)")
        raise failure from None


def _keep_rules(check: Any, *args: Any) -> Any:
    """Run a guard check; a broken rule ends the grade as `rejected`."""
    try:
        return check(*args)
    except guard.Violation as violation:
        raise Failure("rejected", str(violation)) from None


ROLES = {"reference": run_reference, "build": run_build, "solution": run_solution}


def main() -> None:
    """A spawned worker: its role, answer pipe and config come in argv (argv[1]: the harness's root)."""
    run(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))


def run(role: str, answer_fd: int, config: dict[str, Any]) -> None:
    """Play `role` until the parent's commands end, answering on `answer_fd`; never returns."""
    link = Link(answer_fd)
    try:
        ROLES[role](link, config)
    except Failure as failure:
        link.send(ok=False, status=failure.status, reason=failure.reason, detail=failure.detail)
    except BadInput as exc:
        link.send(ok=False, status="error", reason=str(exc), detail="")
    except BaseException as exc:
        failure = classify(exc, "error", None)
        link.send(ok=False, status=failure.status, reason=failure.reason, detail=failure.detail)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: solution objects get no chance to run at exit
