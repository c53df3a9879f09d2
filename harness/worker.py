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

from . import compare, guard, timing
from .config import TimingProfile
from .buildcache import CompileError, ExtensionCache, NeedsCuda
from .problem import BadInput, load_module, load_problem
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


def make_inputs(problem: Any, seed: int, device: torch.device) -> list[Any]:
    torch.manual_seed(seed)
    return [x.to(device) if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]


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


def run_reference(link: Link, config: dict[str, Any]) -> None:
    device = resolve_device(config["device"])
    problem = load_problem(Path(config["problem"]))
    model = construct(problem.Model, init_inputs(problem, config["weight_seed"]), config["weight_seed"]).to(device)
    model64 = _float64_oracle(model)
    link.send(ok=True, **device_info(device))
    trials: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
    for message in link.commands():
        op = message["op"]
        if op == "prepare":
            link.send(ok=True, trials=[_prepare_trial(problem, model, model64, seed, device, trials, i)
                                       for i, seed in enumerate(message["seeds"])])
        elif op == "time":
            with torch.no_grad():
                inputs = make_inputs(problem, message["seed"], device)
                result = timing.measure(lambda: model(*inputs), device, TimingProfile(**message["profile"]))
            link.send(ok=True, timing=result.__dict__)
        elif op == "compare":
            link.send(ok=True, errors=_compare_trial(Path(message["path"]), *trials.pop(message["trial"]), device))


def _prepare_trial(problem: Any, model: torch.nn.Module, model64: torch.nn.Module | None, seed: int,
                   device: torch.device, trials: dict, index: int) -> dict[str, Any]:
    inputs = make_inputs(problem, seed, device)
    with torch.no_grad():
        reference = [t.detach().clone() for t in compare.as_outputs(model(*inputs))]
        oracle_kind = "float64"
        oracle = None
        if model64 is not None:
            try:
                oracle = compare.as_outputs(model64(*_upcast(inputs)))
            except Exception:
                oracle = None
        if oracle is None or len(oracle) != len(reference):
            oracle_kind = "reference"
            oracle = [r.to(torch.float64) if r.is_floating_point() else r for r in reference]
    trials[index] = (oracle, reference)
    errors = [compare.measure_error(r, o, r, f"output {i}") for i, (r, o) in enumerate(zip(reference, oracle))]
    return {"outputs": [compare.OutputSpec.of(r).__dict__ for r in reference], "oracle": oracle_kind,
            "ref_errors": [e.__dict__ for e in errors]}


def _compare_trial(path: Path, oracle: list[torch.Tensor], reference: list[torch.Tensor],
                   device: torch.device) -> list[dict[str, Any]]:
    """Measure the solution's saved outputs; the file is read as data only (weights_only)."""
    def unusable(problem: str) -> list[dict[str, Any]]:
        return [compare.OutputError.unmeasurable(problem).__dict__]

    expected_bytes = sum(r.numel() * r.element_size() for r in reference)
    try:
        if path.stat().st_size > 2 * expected_bytes + (1 << 20):
            return unusable("the solution's outputs are far larger than the reference's")
        outputs = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        return unusable(f"the solution's outputs could not be read: {exc}")
    finally:
        path.unlink(missing_ok=True)
    if not isinstance(outputs, list) or not all(type(t) is torch.Tensor for t in outputs):
        return unusable("the solution's outputs file is not a list of tensors")
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
        _construct_for_builds(module, Path(config["problem"]), config["weight_seed"], cache)
    link.send(ok=True, extensions=[e.__dict__ for e in cache.extensions])


def _construct_for_builds(module: Any, problem_path: Path, seed: int, cache: ExtensionCache) -> None:
    """Construct ModelNew once, for solutions that call load_inline in __init__; other failures wait for
    the solution process, which reports them with their proper status."""
    try:
        module.ModelNew(*init_inputs(load_problem(problem_path), seed))
    except (CompileError, NeedsCuda) as exc:
        raise classify(exc, "load_error", None) from None
    except BaseException:
        pass
    _no_caught_build_failure(cache)


def run_solution(link: Link, config: dict[str, Any]) -> None:
    device = resolve_device(config["device"])
    if device.type == "cuda":
        torch.empty(0, device=device)  # create the CUDA context now, before any solution code exists here
    problem = load_problem(Path(config["problem"]))
    link.send(ok=True)  # warm and idle: the parent says when to load, never while the reference is timed
    commands = link.commands()
    if next(commands, {}).get("op") != "load":
        return
    state = guard.StateSnapshot()
    counter = guard.OwnCodeCounter()
    model, weights, cache = _load_model_new(config, problem, device, counter)
    counter.watch_triton()
    _keep_rules(state.check, "while loading")
    link.send(ok=True, weights=weights, extensions=[e.__dict__ for e in cache.extensions])
    checker = guard.CallChecker(counter, require_own_code=config.get("require_own_code", True))
    for message in commands:
        try:
            _serve(link, message, problem, model, device, state, checker)
        except Failure:
            raise
        except BaseException as exc:
            raise classify(exc, "runtime_error", Path(config["solution"])) from None


def _load_model_new(config: dict[str, Any], problem: Any, device: torch.device,
                    counter: guard.OwnCodeCounter) -> tuple[torch.nn.Module, str, ExtensionCache]:
    """Import the solution, construct ModelNew beside a seeded Model, and give it Model's weights."""
    solution_path = Path(config["solution"])
    module, cache = _import_solution(config, device, counter)
    if not hasattr(module, "ModelNew"):
        raise Failure("load_error", f"{solution_path.name} defines no ModelNew: add `class ModelNew(nn.Module)` "
                                    "taking the same constructor arguments as the problem's Model")
    seed = config["weight_seed"]
    init = init_inputs(problem, seed)
    try:
        model = construct(module.ModelNew, init, seed)
        weights = sync_weights(construct(problem.Model, init, seed), model)
        return model.to(device), weights, cache
    except BaseException as exc:
        failure = classify(exc, "load_error", solution_path)
        if failure.status == "load_error":
            failure.reason = (f"ModelNew(*get_init_inputs()) failed: {failure.reason} (get_init_inputs() gives "
                              f"{_short(init)}; ModelNew must take the same arguments as Model)")
        raise failure from None


def _serve(link: Link, message: dict[str, Any], problem: Any, model: torch.nn.Module, device: torch.device,
           state: guard.StateSnapshot, checker: guard.CallChecker) -> None:
    """One request: run a checked trial and save its outputs, or time the model."""
    with torch.no_grad():
        inputs = make_inputs(problem, message["seed"], device)
        if message["op"] == "run":
            outputs = compare.as_outputs(_keep_rules(checker.call, lambda: model(*inputs), inputs))
            torch.save([t.detach().to("cpu", copy=True) for t in outputs], message["path"])
            _keep_rules(state.check, "during forward")
            link.send(ok=True)
        elif message["op"] == "time":
            result = timing.measure(lambda: model(*inputs), device, TimingProfile(**message["profile"]))
            _keep_rules(state.check, "while being timed")
            link.send(ok=True, timing=result.__dict__)


def _keep_rules(check: Any, *args: Any) -> Any:
    """Run a guard check; a broken rule ends the grade as `rejected`."""
    try:
        return check(*args)
    except guard.Violation as violation:
        raise Failure("rejected", str(violation)) from None


ROLES = {"reference": run_reference, "build": run_build, "solution": run_solution}


def main() -> None:
    role, answer_fd, config = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])  # argv[1]: harness root
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
