"""Error measures, the precision budget and the median interval, on real tensors."""
from __future__ import annotations

import math
import random
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
import torch

from conftest import ROOT

from harness.child import timing
from harness.child.compare import measure_error
from harness.child.cpuwait import thread_times, waited_share
from harness.child.powerlimit import LimitCounter, held_share
from harness.common import tolerance
from harness.common.settings import TimingProfile
from harness.common.stats import (BadSamples, LoopReport, alone, disturbed, median_ci, paced_by_host, power_limited,
                                  resolution, settled, span_refusal, steady, timing_of)
from harness.common.verdict import Status, Verdict
from harness.parent.judge import pass_reason
from harness.wire.codec import Malformed, decode


def test_relative_error_of_a_known_perturbation():
    oracle = torch.randn(1000, dtype=torch.float64)
    out = (oracle * (1 + 1e-3)).float()
    error = measure_error(out, oracle, out, "output 0")
    assert error.problem == ""
    assert math.isclose(error.rel_err, 1e-3, rel_tol=1e-3)


def test_a_single_wrong_element_is_caught_elementwise_not_by_the_norm():
    oracle = torch.randn(1_000_000, dtype=torch.float64)
    out = oracle.float().clone()
    out[123_456] += 0.05
    error = measure_error(out, oracle, out, "output 0")
    allowed = tolerance.budget("float32", 1e-8, 1e-7)
    assert error.rel_err < allowed.rel  # spread over a million values, the norm barely moves
    assert error.elem_err > allowed.elem
    assert "[123456]" in error.worst


def test_nan_where_the_oracle_is_finite_is_named():
    oracle = torch.ones(4, 4, dtype=torch.float64)
    out = oracle.float().clone()
    out[2, 1] = float("nan")
    error = measure_error(out, oracle, out, "output 0")
    assert "1 NaN/inf values" in error.problem and "[2, 1]" in error.problem


def test_where_the_oracle_is_not_finite_only_the_rest_is_measured():
    oracle = torch.linspace(1, 2, 100, dtype=torch.float64).reshape(10, 10)
    oracle[0, 3] = float("inf")
    out = oracle.float().clone()
    out[0, 3] = float("nan")  # anything goes where the oracle itself is inf
    out[7, 2] += 0.5
    error = measure_error(out, oracle, out, "output 0")
    assert error.problem == "" and math.isfinite(error.rel_err)
    assert error.worst.startswith("[7, 2]: got")  # the flat index maps back past the left-out element
    out[0, 3], out[7, 2] = float("inf"), oracle[7, 2].item()
    assert measure_error(out, oracle, out, "output 0").elem_err < 1e-6


def test_complex_outputs_are_measured_with_their_imaginary_part():
    oracle = torch.randn(1000, dtype=torch.complex128)
    out = oracle.to(torch.complex64).clone()
    out[10] += 1e-2j
    error = measure_error(out, oracle, out, "output 0")
    assert error.rel_err > 1e-4 and "[10]" in error.worst


def test_shape_and_dtype_mismatches_are_problems_not_numbers():
    oracle = torch.zeros(3, 5, dtype=torch.float64)
    reference = torch.zeros(3, 5)
    assert "shape [3, 4], expected [3, 5]" in measure_error(torch.zeros(3, 4), oracle, reference, "output 0").problem
    assert "dtype float64, expected float32" in measure_error(oracle, oracle, reference, "output 0").problem


def test_integer_outputs_must_match_exactly():
    reference = torch.tensor([1, 2, 3])
    assert measure_error(torch.tensor([1, 2, 3]), reference, reference, "o").problem == ""
    assert "1 of 3 values differ" in measure_error(torch.tensor([1, 0, 3]), reference, reference, "o").problem


def test_budget_follows_the_reference_above_the_dtype_floor():
    tf32_conv = tolerance.budget("float32", 2.8e-4, 3e-3)
    assert tf32_conv.rel == tolerance.REFERENCE_MULTIPLE * 2.8e-4
    assert tolerance.within(8.4e-7, 1e-5, tf32_conv)      # an exact fp32 kernel
    assert not tolerance.within(1e-2, 1e-2, tf32_conv)    # bf16 arithmetic
    exact_fp32 = tolerance.budget("float32", 1e-7, 1e-6)
    assert exact_fp32.rel == tolerance.DTYPE_FLOORS["float32"][0]
    assert not tolerance.within(3e-4, 1e-3, exact_fp32)   # TF32 where PyTorch is exact


def test_median_interval_contains_the_median_and_narrows_with_samples():
    rng = random.Random(0)
    few = [rng.gauss(1.0, 0.05) for _ in range(20)]
    many = few + [rng.gauss(1.0, 0.05) for _ in range(2000)]
    for samples in (few, many):
        median, lo, hi = median_ci(samples)
        assert lo <= median <= hi
    assert (median_ci(many)[2] - median_ci(many)[1]) < (median_ci(few)[2] - median_ci(few)[1]) / 4
    assert median_ci([3.0, 1.0, 2.0])[0] == 2.0


def test_a_loop_settles_at_its_interval_or_at_its_clocks_resolution():
    rng = random.Random(1)
    tick = 0.000032  # CUPTI's ~32 ns step on an H200, against a 1.44 us kernel: 2.2% of it
    quantized = [round(rng.gauss(45.5 * tick, 0.2 * tick) / tick) * tick for _ in range(400)]  # half on each step
    lo, hi = median_ci(quantized)[1:]
    assert hi - lo > 0.02 * median_ci(quantized)[0]  # no number of samples gets the interval under 2%
    assert settled(quantized, 0.02)
    # as CUPTI's spans come: whole ns (two timestamps' difference, each rounded) over 1e6, so 1 ns gaps too
    rounded = [(round(x / tick) * 32 - rng.choice((0, 0, 1))) / 1e6 for x in quantized]
    assert settled(rounded, 0.02) and 0.0000309 <= resolution(rounded) <= 0.0000321
    # A launch-bound loop on an H200: the interval ran from 1440 to 1473 ns, one 31 ns step and two ns of rounding
    straddling = [0.001440] * 190 + [0.001441] * 10 + [0.001472] * 10 + [0.001473] * 190
    assert median_ci(straddling)[1:] == (0.001440, 0.001473) and settled(straddling, 0.02)
    assert not settled([0.001440] * 195 + [0.001472] * 5 + [0.001504] * 200, 0.02)  # two steps wide: not yet
    assert not settled([rng.gauss(1.0, 0.2) for _ in range(30)], 0.02)  # a continuous clock: the interval decides
    assert settled([rng.gauss(1.0, 0.01) for _ in range(400)], 0.02)
    assert not settled([0.0] * 10, 0.02)


def test_a_timings_interval_spans_half_the_clocks_step_where_its_samples_sit_on_one():
    def spans(low, mid, high, counts=(30, 120, 50)):  # ms, on CUPTI's ~32 ns steps, the median's step the commonest
        device = [low] * counts[0] + [mid] * counts[1] + [high] * counts[2]
        return LoopReport(samples=[x * 30 for x in device], spans=device, seconds=0.2, clock="cuda-events",
                          empty_call_ms=0.012)

    def grade(ref, sol):
        return Verdict(Status.PASS, "", "sol.py", "problem.py", ref_timing=timing_of([ref], spans=True),
                       sol_timing=timing_of([sol], spans=True))

    # Two launch-bound grades on an H200, furthest apart of five (4.3%): each model's median a step the other way
    here = grade(spans(0.001409, 0.001440, 0.001472), spans(0.001504, 0.001536, 0.001567))
    there = grade(spans(0.001440, 0.001471, 0.001503), spans(0.001472, 0.001505, 0.001536))
    assert median_ci(spans(0.001409, 0.001440, 0.001472).spans)[1:] == (0.001440, 0.001440)  # zero width
    timing = here.ref_timing
    assert timing.median_ms == 0.001440 and math.isclose(timing.ci_high_ms - timing.ci_low_ms, 0.000031, rel_tol=0.05)
    # each median up to half a step from the kernel's, opposite ways in the two grades: the intervals meet
    assert here.speedup_ci[1] >= there.speedup_ci[0] - 1e-9 and there.speedup_ci[1] > here.speedup_ci[0]
    assert not here.speedup_ci[0] <= there.speedup <= here.speedup_ci[1]
    once = grade(spans(0.001440, 0.001471, 0.001503), spans(0.001504, 0.001536, 0.001567))  # the reference's alone
    assert once.speedup_ci[0] < here.speedup_ci[1] - 0.01 and here.speedup_ci[0] < once.speedup_ci[1] - 0.01  # overlap
    rng = random.Random(3)
    fine = [rng.gauss(0.3, 0.003) for _ in range(400)]  # a fine clock: the interval is the order statistics'
    interval = timing_of([LoopReport(samples=fine, seconds=0.2, clock="cuda-events")])
    _, lo, hi = median_ci(fine)
    assert lo - 1e-5 < interval.ci_low_ms < lo and hi < interval.ci_high_ms < hi + 1e-5  # widened by < 10 ns


def test_steady_means_neither_faster_nor_slower_between_windows():
    rng = random.Random(2)
    flat = [rng.gauss(1.0, 0.002) for _ in range(40)]
    assert steady(flat[:20], flat[20:])
    assert not steady([1.05] * 10, [1.0] * 10) and not steady([1.0] * 10, [1.05] * 10)
    assert not steady([1.0], [1.0])  # one call per window tells nothing


def _paced(pace):
    """A forward whose calls take `pace(t)` seconds, t the time since its first call, asleep: a busy wait's
    pace would be the scheduler's on a loaded host."""
    began = []

    def forward() -> None:
        now = time.perf_counter()
        began.append(began[0] if began else now)
        time.sleep(pace(now - began[0]))
    return forward


def _ramp(seconds: float, start: float, end: float):
    return lambda t: start + (end - start) * min(1.0, t / seconds)


def test_warm_up_lasts_until_the_calls_run_at_a_steady_pace():
    profile = TimingProfile(warmup_calls=3, warmup_min_seconds=0.05, warmup_seconds=0.6, min_calls=5,
                            min_seconds=0.0)
    cpu = torch.device("cpu")
    assert 0.05 <= timing.measure(_paced(lambda t: 0.001), cpu, profile).warmup_seconds < 0.2  # steady at once
    assert 0.3 <= timing.measure(_paced(_ramp(0.3, 0.004, 0.001)), cpu, profile).warmup_seconds <= 0.65
    slowing = timing.measure(_paced(lambda t: 0.001 * 2 ** (min(t, 0.7) / 0.1)), cpu, profile)  # never steady
    assert 0.6 <= slowing.warmup_seconds < 0.8  # the profile's cap ends it
    drift = timing.measure(_paced(_ramp(20.0, 0.004, 0.001)), cpu, profile)
    assert drift.warmup_seconds < 0.2  # under 1% per 25 ms passes as steady: a drift over seconds is not seen


def test_timing_pools_the_loops_of_one_model_and_refuses_impossible_samples():
    first = LoopReport(samples=[1.0, 1.1, 1.2], seconds=0.5, clock="host", empty_call_ms=0.01)
    second = LoopReport(samples=[2.0, 2.1], seconds=0.25, clock="host", empty_call_ms=0.012)
    pooled = timing_of([first, second])
    assert pooled.calls == 5 and pooled.median_ms == 1.2 and [loop.median_ms for loop in pooled.loops] == [1.1, 2.05]
    assert pooled.seconds == 0.75 and pooled.empty_call_ms == 0.01 and not pooled.disturbed
    for bad in ([0.0, 1.0], [1.0, float("inf")], [], [-1.0], ["x"]):
        with pytest.raises(BadSamples):
            timing_of([replace(first, samples=bad)])
    for bad_empty in (0.0, float("nan"), "x"):
        with pytest.raises(BadSamples):
            timing_of([replace(first, empty_call_ms=bad_empty)])
    with pytest.raises(BadSamples):
        timing_of([first, replace(second, clock="cuda-events")])


def test_device_spans_time_the_calls_where_they_agree_with_the_event_clock():
    ref = LoopReport(samples=[0.300, 0.310, 0.305], spans=[0.266, 0.266, 0.2661], seconds=0.5,
                     clock="cuda-events", empty_call_ms=0.010, spans_note="")
    sol = replace(ref, samples=[0.150, 0.160, 0.155], spans=[0.120, 0.121, 0.120])
    assert span_refusal([ref], [sol]) == ""
    timing = timing_of([ref], spans=True)
    assert timing.clock == "cupti-span" and timing.median_ms == 0.266 and timing.event_median_ms == 0.305
    assert timing_of([ref]).clock == "cuda-events" and timing_of([ref]).event_median_ms is None
    assert alone([ref]).clock == "cupti-span" and alone([replace(ref, spans=None)]).clock == "cuda-events"
    # Where CUPTI gave nothing, or much less than the event clock saw, the event clock times the grade.
    assert "CUPTI unavailable" in span_refusal([ref], [replace(sol, spans=None, spans_note="CUPTI unavailable (x)")])
    hidden = replace(sol, samples=[0.300, 0.300, 0.300], spans=[0.002, 0.002, 0.002])  # a kernel CUPTI never saw
    assert "did not record" in span_refusal([ref], [hidden]) and "did not record" in span_refusal([hidden], [])
    slow_host = replace(sol, samples=[0.250, 0.250, 0.250], empty_call_ms=0.030)  # 0.13 ms of lead and tail
    assert span_refusal([ref], [slow_host]) == ""  # within 0.1 ms + 3 empty calls
    assert "outlasted" in span_refusal([ref], [replace(sol, spans=[0.4, 0.12, 0.12])])
    assert span_refusal([replace(ref, clock="host")], []) != ""
    for bad in ([0.266, 0.266], [0.0, 0.266, 0.266], "x"):
        with pytest.raises(BadSamples):
            span_refusal([replace(ref, spans=bad)], [])
    with pytest.raises(BadSamples):
        span_refusal([replace(ref, span_idle=[0.3, 0.0, 0.0])], [])


def test_a_slow_host_leaves_out_only_loops_whose_time_it_can_move():
    quiet = LoopReport(samples=[0.30, 0.30], spans=[0.266, 0.266], span_idle=[0.0, 0.0], seconds=0.1,
                       clock="cuda-events", empty_call_ms=0.008)
    slow_host = replace(quiet, samples=[0.33, 0.33], empty_call_ms=0.020)  # one kernel: the host cannot pace it
    assert not paced_by_host(slow_host) and paced_by_host(replace(slow_host, span_idle=[0.05, 0.05]))
    assert paced_by_host(replace(slow_host, spans=None))
    by_spans = timing_of([quiet, slow_host], spans=True)
    assert [loop.kept for loop in by_spans.loops] == [True, True] and by_spans.calls == 4
    gappy = replace(slow_host, span_idle=[0.05, 0.05])  # kernels waiting for the host's next launch
    assert [loop.kept for loop in timing_of([quiet, gappy], spans=True).loops] == [True, False]
    assert [loop.kept for loop in timing_of([quiet, slow_host]).loops] == [True, False]  # event clock


def test_loops_run_while_the_timer_itself_was_slow_are_left_out():
    quiet = LoopReport(samples=[1.0, 1.1, 1.2], seconds=0.5, clock="cuda-events", empty_call_ms=0.0078)
    slow = LoopReport(samples=[1.3, 1.4], seconds=0.5, clock="cuda-events", empty_call_ms=0.0125)
    timing = timing_of([slow, quiet])
    assert [loop.kept for loop in timing.loops] == [False, True] and timing.calls == 3 and timing.median_ms == 1.1
    assert timing.seconds == 1.0 and timing.empty_call_ms == 0.0078 and not timing.disturbed
    assert disturbed(0.0125, 0.0078) and not disturbed(0.0085, 0.0078) and not disturbed(0.0125, None)
    # Judged against another model's quietest loop (the solution's against the reference's): where every loop
    # was slow, the quietest alone counts, and the timing says so.
    alone = timing_of([slow, replace(slow, samples=[1.5], empty_call_ms=0.0118)], quietest_ms=0.0078)
    assert [loop.kept for loop in alone.loops] == [False, True] and alone.median_ms == 1.5 and alone.disturbed
    # The CPU's empty call (host clock, cache misses after the flush) varies by 2 µs between quiet loops.
    assert not disturbed(0.0070, 0.0052) and disturbed(0.0500, 0.0052)
    with pytest.raises(Malformed):  # a report without its fields does not get past the wire
        decode({"kind": "LoopReport", "body": {"samples": [1.0]}}, LoopReport)


def test_a_timing_says_how_long_its_kept_loops_ran_at_the_cards_power_limit():
    quiet = LoopReport(samples=[3.0, 3.1], seconds=0.5, clock="cuda-events", empty_call_ms=0.008,
                       power_limited=0.85)
    cool = replace(quiet, power_limited=0.0)
    slow = replace(quiet, empty_call_ms=0.02, power_limited=1.0)  # left out: its share does not count either
    timing = timing_of([quiet, cool, slow])
    assert [loop.power_limited for loop in timing.loops] == [0.85, 0.0, 1.0] and timing.power_limited == 0.85
    assert power_limited(timing) and not power_limited(timing_of([cool])) and not power_limited(None)
    assert timing_of([replace(quiet, power_limited=None)]).power_limited is None  # not counted: says nothing
    for bad in (-0.1, 1.5, float("nan"), "x"):
        with pytest.raises(BadSamples):
            timing_of([replace(quiet, power_limited=bad)])
    assert held_share(10**9, 10**9 + 5 * 10**8, 2.0) == 0.25 and held_share(0, 3 * 10**9, 2.0) == 1.0
    assert held_share(None, 10**9, 1.0) is None and held_share(5, 4, 1.0) == 0.0


def test_a_pass_names_the_model_timed_at_the_power_limit():
    def timed(share):
        return timing_of([LoopReport(samples=[3.0], seconds=0.5, clock="cuda-events", power_limited=share)])

    verdict = Verdict(Status.PASS, "", "sol.py", "problem.py", ref_timing=timed(0.98), sol_timing=timed(0.05))
    assert "reference timed with the card at its power limit" in pass_reason(verdict)
    verdict.sol_timing = timed(0.5)
    assert "reference and solution timed" in pass_reason(verdict)
    verdict.ref_timing = verdict.sol_timing = timed(None)
    assert "power" not in pass_reason(verdict)


def test_a_pass_says_when_other_processes_held_the_cpu_and_never_fails_for_it():
    def timed(*shares):
        return timing_of([LoopReport(samples=[3.0], seconds=0.5, clock="host", empty_call_ms=0.007, cpu_wait=share)
                          for share in shares])

    loaded, quiet = timed(0.02, 0.45), timed(0.02, 0.05)
    assert loaded.contended and loaded.cpu_wait == 0.45 and [loop.cpu_wait for loop in loaded.loops] == [0.02, 0.45]
    assert not quiet.contended and quiet.cpu_wait == 0.05
    assert timed(None).cpu_wait is None and not timed(None).contended  # not counted: says nothing
    verdict = Verdict(Status.PASS, "", "sol.py", "problem.py", ref_timing=loaded, sol_timing=quiet)
    assert "reference timed while other processes held the CPU, the threads waiting for a core 45%" in pass_reason(
        verdict)
    verdict.ref_timing = quiet
    assert "CPU" not in pass_reason(verdict) and pass_reason(verdict).startswith("correct on every trial")
    for bad in (-0.1, 1.5, float("nan"), "x"):
        with pytest.raises(BadSamples):
            timed(bad)


def test_the_cpu_wait_is_the_share_of_ready_time_spent_waiting_for_a_core():
    assert waited_share({"1": (100, 10)}, {"1": (400, 110), "2": (50, 150)}) == 250 / 600  # "2" was born meanwhile
    assert waited_share({"1": (100, 10), "3": (5, 5)}, {"1": (200, 10)}) == 0.0  # "3" ended: not counted
    assert waited_share(None, {"1": (1, 1)}) is None and waited_share({"1": (1, 1)}, {"1": (1, 1)}) is None
    now = thread_times()
    assert now is not None and str(threading.get_native_id()) in now  # this machine's kernel keeps schedstat


def test_a_pass_names_the_baseline_and_a_model_timed_only_while_the_machine_was_slow():
    quiet = LoopReport(samples=[1.0, 1.1], seconds=0.5, clock="host", empty_call_ms=0.007)
    slow = replace(quiet, empty_call_ms=0.02)
    verdict = Verdict(Status.PASS, "", "sol.py", "problem.py", ref_timing=timing_of([quiet]),
                      sol_timing=timing_of([slow], quietest_ms=0.007))
    assert verdict.sol_timing.disturbed
    assert pass_reason(verdict).startswith("correct on every trial; 1x the PyTorch reference (every loop of the "
                                           "solution ran while the machine was slow")
    verdict.baseline = "compile"
    assert "1x the torch.compile reference" in pass_reason(verdict)


def test_without_the_nvidia_driver_the_limit_is_not_counted_and_the_report_says_none():
    if torch.cuda.is_available():
        pytest.skip("this machine has the NVIDIA driver: tests/test_gpu.py reads its counter")
    counter = LimitCounter("00000000:00:00.0")
    assert counter.held_ns() is None and "NVML" in counter.note
    report = timing.measure(_paced(lambda t: 0.001), torch.device("cpu"), TimingProfile(min_calls=3))
    assert report.power_limited is None


def test_an_untouched_input_holding_nan_counts_as_unchanged():
    from harness.child.guard import CallChecker, OwnCodeCounter, Violation

    x = torch.tensor([1.0, float("nan"), -2.0])
    checker = CallChecker(OwnCodeCounter(), require_own_code=False)
    checker.call(lambda: torch.relu(x), [x])  # reads x, leaves it as it was: no violation
    try:
        checker.call(lambda: x.mul_(2), [x])
    except Violation as violation:
        assert "modified input 0 in place" in str(violation)
    else:
        raise AssertionError("an input written in place went unnoticed")


def test_torch_wrapping_its_own_function_is_allowed_but_a_solution_wrapper_is_rejected():
    """torch._dynamo, imported lazily, rebinds torch.manual_seed to a wrapper of its own (a false
    rejection on GPU before this rule); a solution's functools.wraps look-alike must still be caught."""
    code = """
import functools, torch
from harness.child import guard
state = guard.StateSnapshot()
import torch._dynamo
state.check("after torch._dynamo")
original = torch.manual_seed
torch.manual_seed = functools.wraps(original)(lambda seed: original(0))
try:
    state.check("after the solution's wrapper")
except guard.Violation as violation:
    print("REJECTED", violation)
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "REJECTED the solution rebound torch.manual_seed after the solution's wrapper" in run.stdout, run.stderr


def test_work_count_matches_torchs_flop_counter_without_importing_dynamo():
    """The floor's FLOPs, counted as the reference process counts them (one forward on real tensors, here the
    CPU at the problems' small sizes): torch's own per-op formulas, without the seconds torch's FlopCounterMode
    spends importing torch._dynamo."""
    code = """
import sys, torch
from pathlib import Path
from harness.child import work
from harness.child.problem import load_problem
names = ["level1/82_Square_matmul", "level1/56_conv_standard_2D__asymmetric_input__asymmetric_kernel",
         "level2/80_Gemm_Bias_GELU_Scale", "level3/80_MLP_Block"]
problems = {n: load_problem(Path(f"problems/{n}.py"), "small") for n in names}
counted = {n: work.count(p.Model(*p.get_init_inputs()), p.get_inputs())[0].flops for n, p in problems.items()}
print("DYNAMO", "torch._dynamo" in sys.modules)
from torch.utils.flop_counter import FlopCounterMode
for name, problem in problems.items():
    model, inputs = problem.Model(*problem.get_init_inputs()), problem.get_inputs()
    with FlopCounterMode(display=False) as torch_counter, torch.no_grad():
        model(*inputs)
    print("FLOPS", counted[name], torch_counter.get_total_flops())
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "DYNAMO False" in run.stdout, run.stdout + run.stderr
    pairs = [line.split()[1:] for line in run.stdout.splitlines() if line.startswith("FLOPS")]
    assert len(pairs) == 4 and all(ours == theirs and int(ours) > 1000 for ours, theirs in pairs), pairs


def test_own_kernels_are_named_from_the_sources_and_library_kernels_never_count_as_own():
    from harness.child.provenance import is_own, kernel_names

    source = """
template <int T> __global__ void __launch_bounds__(256)
sgemm_kernel(const float* a, float* c) {}
extern "C" __global__ void relu_kernel(const float* x, float* y, long n) {}
__global__ void vectorized_elementwise_kernel(float* x) {}   // a name ATen uses too
__device__ float helper(float x) { return x; }
"""
    own = kernel_names([source])
    assert own == {"sgemm_kernel", "relu_kernel", "vectorized_elementwise_kernel"}
    assert is_own("void sgemm_kernel<128>(float const*, float*)", own)
    assert is_own("relu_kernel(float const*, float*, long)", own)
    assert is_own("void (anonymous namespace)::relu_kernel(float const*, float*, long)", own)
    assert not is_own("void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, "
                      "std::array<char*, 3ul> >(int, at::native::CUDAFunctor_add<float>, std::array<char*, 3ul>)", own)
    assert not is_own("sm90_xmma_gemm_f32f32_tf32f32_f32_nn_n_tilesize128x128x32_cgasize1x2x1_execute_kernel", own)
