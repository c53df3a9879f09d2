"""The parent's judgements on what the children measured: a trial's errors against the budget, the one-line
reason a pass gives, and what Triton did at the generalization trial's sizes."""
from __future__ import annotations

from ..common import stats, tolerance
from ..common.verdict import BuildReport, CorrectnessReport, OutputError, TritonEvent, TrialResult, Verdict
from ..wire.messages import ReferenceTrial


def judge_trial(seed: int, errors: list[OutputError], reference: ReferenceTrial,
                report: CorrectnessReport) -> TrialResult:
    """Apply the precision budget (harness.common.tolerance) to one trial's measured errors; the budget goes into
    `report`."""
    worst_rel = worst_elem = ref_rel = ref_elem = 0.0
    problem = ""
    for index, error in enumerate(errors):
        ref_error = reference.ref_errors[index] if index < len(reference.ref_errors) else OutputError()
        dtype = reference.outputs[index].dtype if index < len(reference.outputs) else "?"
        allowed = tolerance.budget(dtype, ref_error.rel_err, ref_error.elem_err)
        report.rel_budget, report.elem_budget = allowed.rel, allowed.elem
        worst_rel, worst_elem = max(worst_rel, error.rel_err), max(worst_elem, error.elem_err)
        ref_rel, ref_elem = max(ref_rel, ref_error.rel_err), max(ref_elem, ref_error.elem_err)
        if problem:
            continue
        if error.problem:
            problem = error.problem
        elif not tolerance.within(error.rel_err, error.elem_err, allowed):
            problem = (f"output {index} is off: relative error {error.rel_err:.3g} (budget {allowed.rel:.3g}), "
                       f"worst element error {error.elem_err:.3g} (budget {allowed.elem:.3g}) at "
                       f"{error.worst}; the reference's own errors are {ref_error.rel_err:.3g} "
                       f"and {ref_error.elem_err:.3g}")
    return TrialResult(seed=seed, rel_err=worst_rel, elem_err=worst_elem, ref_rel_err=ref_rel,
                       ref_elem_err=ref_elem, passed=not problem, problem=problem)


def pass_reason(verdict: Verdict) -> str:
    """"correct on every trial; 1.23x the PyTorch reference" (or "the torch.compile reference"), with the caveats
    that apply: a card at its power limit, a machine whose other processes held the cores (stats.CONTENDED_SHARE),
    every loop of a model run while the machine was slow (stats.disturbed). None of them fails a grade."""
    if verdict.speedup is None:
        return "correct on every trial (not timed)"
    timings = [(who, timing) for who, timing in (("reference", verdict.ref_timing), ("solution", verdict.sol_timing))
               if timing is not None]
    caveats = []
    limited = [who for who, timing in timings if stats.power_limited(timing)]
    if limited:
        caveats.append(f"{' and '.join(limited)} timed with the card at its power limit: such times move by several "
                       "percent with its power controller")
    contended = [(who, timing.cpu_wait) for who, timing in timings if timing.contended and timing.cpu_wait]
    if contended:
        caveats.append(f"{' and '.join(who for who, _ in contended)} timed while other processes held the CPU, the "
                       f"threads waiting for a core {' and '.join(f'{share:.0%}' for _, share in contended)} of the "
                       "time they were ready to run: such times move with the machine's load; grade again on a quiet "
                       "machine")
    disturbed = [who for who, timing in timings if timing.disturbed]
    if disturbed:
        caveats.append(f"every loop of the {' and '.join(disturbed)} ran while the machine was slow (their empty "
                       "calls say so): grade again")
    against = "torch.compile" if verdict.baseline == "compile" else "PyTorch"
    triton = verdict.build.triton if verdict.build else None
    if triton is not None and triton.interpreted:
        return (f"correct on every trial; timed while Triton's interpreter ran its kernels (TRITON_INTERPRET=1), "
                f"{verdict.speedup:.3g}x the {against} reference: no speedup claim")
    return f"correct on every trial; {verdict.speedup:.3g}x the {against} reference" + "".join(
        f" ({caveat})" for caveat in caveats)


def small_sizes_note(build: BuildReport | None, small: list[TritonEvent]) -> str:
    """Which autotuned Triton kernels re-tuned at the small sizes (their key changed) and which kept the config tuned
    at the graded sizes; "" where the solution has none and compiled nothing anew."""
    if build is None or build.triton is None:
        return ""
    tuned = {e.kernel for e in build.triton.events if e.action == "autotuned" and e.stage != "small sizes"}
    retuned = [e for e in small if e.action == "autotuned"]
    parts = [f"{e.kernel} re-tuned: {e.detail}" for e in retuned]
    parts += [f"{kernel} kept the config tuned at the graded sizes (its autotune key did not change)"
              for kernel in sorted(tuned - {e.kernel for e in retuned})]
    compiled = sorted({e.kernel for e in small if e.action == "compiled"})
    if compiled:
        parts.append(f"compiled anew for these sizes: {', '.join(compiled)}")
    return f"Triton: {'; '.join(parts)}" if parts else ""
