"""`kb`: the command line. `kb grade` grades one solution file or a batch of them; `kb lint` checks problem files."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from ..common import stats
from ..common.errors import BadInput, SettingsError
from ..common.settings import (BASELINES, CACHE_ENV, DEVICES, GENERALIZATION, SETTINGS, SIZES, TIMING_PROFILES,
                               GradeConfig, configure)
from ..common.verdict import Status, TimingLoop, TritonReport, Verdict
from ..common.version import VERSION

_STATUS_HELP = """\
statuses (the verdict's `status`, a closed set):
  pass           built, correct on every trial, timed           exit 0
  compile_error  an extension or a Triton kernel did not build   exit 1
  load_error     the solution file could not be imported, or
                 ModelNew could not be constructed              exit 1
  runtime_error  forward raised (CUDA errors, out of memory)    exit 1
  incorrect      wrong shape, dtype, values, or NaN/inf         exit 1
  timeout        a stage ran past its time limit                exit 1
  crashed        the solution's process died (signal, exit)     exit 1
  rejected       broke a grading rule: ran none of its own compiled
                 code, changed a global switch, rebound a torch or
                 clock function, aliased or modified inputs, left
                 a thread running                               exit 1
  unsupported    needs a device this machine lacks              exit 2
  error          could not grade: bad arguments, missing file,
                 broken problem                                 exit 2
"""

_GRADE_EXAMPLES = """\
examples:
  kb grade solutions/level1/19_ReLU.py --device cpu
  kb grade my_kernel.py --problem problems/level1/56_conv_standard_2D__asymmetric_input__asymmetric_kernel.py
  kb grade solutions/level1/19_ReLU.py --json > verdict.json   # exactly one JSON object on stdout
  kb grade solutions/level1 solutions/level2 --results results.jsonl          # a batch; resumable
  kb grade runs/my_run --problems KernelBench/KernelBench --results my_run.jsonl   # a KernelBench run folder
  kb grade samples.jsonl --json    # a manifest: {"problem": P, "solution": S, "sample": ID} per line

Batches: several paths, a folder, a glob pattern, a manifest (.jsonl or .csv:
problem, solution, sample; paths relative to it) or --results makes a batch.
solutions/<set>/<name>.py pairs with problems/<set>/<name>.py (or
DIR/<set>/<name>.py with --problems DIR); KernelBench's run files
level_<L>_problem_<N>_sample_<S>_kernel.py pair with DIR/level<L>/<N>_*.py
and are recorded as level<L>/<name>#<S>. Every sample is its own record;
with --results, samples already recorded there under the same settings are
not graded again. A batch exits 0 when every sample passed, 1 when any did
not, 2 when an input or setting is bad (before anything is graded).

How it grades: the reference runs in its own process, which also computes a
float64 oracle; the solution's extensions are built into a content-addressed
cache ($KB_CACHE_DIR, default ~/.cache/kb-grader/extensions) by a second
process; a third runs ModelNew with the reference's weights on inputs from
fresh secret seeds. Outputs are measured against the oracle in the reference's
process; the budget is 4x PyTorch's own error, never below a per-dtype floor.
Triton kernels compile into a Triton cache of the solution's own (keyed by its
content) before anything of theirs is timed; without CUDA they run in Triton's
interpreter, which grades correctness and every rule but times no speedup.
"""


_DEFAULTS = GradeConfig()
_OPTION_OF: dict[str, str] = {}  # a setting's name -> the option that sets it, for naming it in an error


def _setting(p: argparse.ArgumentParser, option: str, **kwargs) -> None:
    """An option whose dest is a grading setting's name (harness.common.settings); left out, it is None, and the
    setting keeps its default."""
    _OPTION_OF[p.add_argument(option, **kwargs).dest] = option


def count(text: str) -> int:
    """A whole number, 0 or more (argparse names the option when this raises)."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _grade_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade solution files against their problems",
                       description="Build, check and time KernelBench-style solution files (modules defining "
                                   "ModelNew) against their problems (modules defining Model, get_inputs and "
                                   "get_init_inputs): one file, or a batch.",
                       epilog=_GRADE_EXAMPLES + "\n" + _STATUS_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("solutions", nargs="+", metavar="SOLUTION",
                   help="solution file, folder, glob pattern, KernelBench run folder or manifest")
    p.add_argument("--problem", type=Path, help="problem file to grade one solution against (default: the paired "
                                                "one)")
    p.add_argument("--problems", type=Path, metavar="DIR",
                   help="folder holding the problem sets: <set>/<name>.py, or KernelBench's KernelBench/ folder "
                        "(level1/, level2/, ...) for its run files (default: problems/ beside solutions/)")
    p.add_argument("--results", type=Path, metavar="FILE",
                   help="append each sample's record to this JSONL file (for kb report), skipping samples "
                        "recorded there already: a killed batch resumes")
    p.add_argument("--json", action="store_true",
                   help="print the verdict as one JSON object on stdout; in a batch, each sample's record "
                        "(its id, context and verdict) as one JSON line")
    p.add_argument("--at-once", type=count, default=0, metavar="N",
                   help="in a batch: grades in flight per device (default 4 per GPU, 2 on the CPU); their timing "
                        "loops still run one at a time, every other grade's processes held still")
    p.add_argument("--build-jobs", type=count, default=2, metavar="N",
                   help="in a batch: extension builds at a time, before grading (default 2)")
    _device_argument(p, "where to run")
    _setting(p, "--seed", type=int, help="fix the weight and input seeds (default: fresh secret seeds)")
    _setting(p, "--trials", type=int, metavar="N",
             help=f"correctness trials on fresh inputs (default {_DEFAULTS.trials})")
    _setting(p, "--timing", choices=list(TIMING_PROFILES),
             help="timing profile: quick (short loops, none run again), default (a loop run while the machine "
                  "was slow runs again, twice at most) or precise (long loops, 4 reruns); what each costs and "
                  "how far its speedups spread: docs/timing.md. A reference that holds the card at its power "
                  "limit moves by several percent under every profile, and the verdict says so")
    _setting(p, "--no-timing", dest="time_solution", action="store_const", const=False,
             help="check correctness only")
    _setting(p, "--baseline", choices=BASELINES,
             help="what the speedup is against: eager (default), the problem's Model as written, or compile, "
                  "torch.compile(Model) (inductor, compiled anew in the reference's process before its first timing "
                  "loop, never inside one); correctness is judged against the eager Model's float64 oracle either way")
    _setting(p, "--sizes", choices=SIZES,
             help="problem sizes: full (as written), small (the problem's SMALL_SIZES, a small valid "
                  "instance), or auto (default): small on the CPU where the problem has them, else full")
    _setting(p, "--spot-checks", type=int, metavar="N",
             help=f"timed calls whose outputs are checked too (default {_DEFAULTS.spot_checks})")
    _setting(p, "--generalization", choices=GENERALIZATION,
             help="one more trial at the problem's SMALL_SIZES: report the result (default), require it "
                  "to pass, or skip it")
    _setting(p, "--allow-pure-torch", dest="require_own_code", action="store_const", const=False,
             help="accept forward calls that run none of the solution's own compiled functions "
                  "(default: rejected)")
    _setting(p, "--min-own-share", type=float, metavar="F",
             help="reject when the solution's own code takes less than this fraction of forward's time "
                  f"(GPU: kernel time from the profiler; default {_DEFAULTS.min_own_share:g}: report only)")
    _setting(p, "--no-provenance", dest="provenance", action="store_const", const=False,
             help="skip measuring whose code does the work (saves one profiled call)")
    _cache_argument(p)
    _setting(p, "--log-dir", type=Path, help="keep each process's stdout/stderr under this folder")
    _server_argument(p)
    for stage, text in (("load", "importing and constructing"), ("build", "compiling extensions"),
                        ("run", "one correctness trial"), ("timing", "timing one model")):
        _timeout_argument(p, stage, f"seconds for {text}")
    p.set_defaults(handler=_grade, parser=p)


def _device_argument(p: argparse.ArgumentParser, what: str) -> None:
    _setting(p, "--device", choices=DEVICES,
             help=f"{what} (default {_DEFAULTS.device}: cuda when torch sees a GPU, else cpu)")


def _cache_argument(p: argparse.ArgumentParser) -> None:
    _setting(p, "--cache-dir", type=Path,
             help=f"extension build cache (default ${CACHE_ENV} or ~/.cache/kb-grader/extensions)")


def _timeout_argument(p: argparse.ArgumentParser, stage: str, text: str) -> None:
    default = getattr(_DEFAULTS.timeouts, stage)
    _setting(p, f"--timeout-{stage}", dest=f"timeouts.{stage}", type=float, metavar="S",
             help=f"{text} (default {default:g})")


def _config(args: argparse.Namespace) -> GradeConfig:
    """The grade's settings from the options given (harness.common.settings.configure); a bad value exits 2
    naming its option (through the subcommand's own parser, `args.parser`)."""
    given = {name: value for name, value in vars(args).items() if name.split(".")[0] in SETTINGS}
    try:
        return configure(given)
    except SettingsError as exc:
        args.parser.error(f"{_OPTION_OF.get(exc.setting, exc.setting)}: {exc}")


def _grade(args: argparse.Namespace) -> int:
    from ..parent.grade import grade
    from .samples import MANIFEST_SUFFIXES, find_samples, is_pattern

    config = _config(args)
    one = Path(args.solutions[0])
    if len(args.solutions) > 1 or args.results or one.is_dir() or one.suffix in MANIFEST_SUFFIXES or (
            not one.exists() and is_pattern(args.solutions[0])):
        return _grade_batch(args, config)
    problem = args.problem
    if problem is None and args.problems is not None:
        try:
            problem = find_samples([str(one)], args.problems)[0].problem
        except BadInput as exc:
            return _bad_input(exc)
    if not args.json:
        print(f"grading {one} ...", file=sys.stderr)
    verdict = grade(one, problem, config)
    print(verdict.to_json() if args.json else render(verdict))
    return verdict.status.exit_code


def _bad_input(exc: BadInput) -> int:
    print(f"kb grade: {exc}", file=sys.stderr)
    return 2


def _grade_batch(args: argparse.Namespace, config: GradeConfig) -> int:
    """Grade every sample the paths name, each its own record; exit 1 when any did not pass. Bad input stops it
    before anything is graded or recorded."""
    from . import report
    from .results import ResultStore, Sample, sample_key
    from .samples import find_samples
    from .sweep import sweep

    try:
        if args.problem is not None:
            solution = Path(args.solutions[0])
            if len(args.solutions) > 1 or not solution.is_file():
                raise BadInput("--problem pairs one solution file with its problem; for several, name their "
                               "folder with --problems DIR, or list them in a manifest")
            samples = [Sample(args.problem.parent.name, args.problem.stem, "", solution, args.problem)]
        else:
            samples = find_samples(args.solutions, args.problems)
    except BadInput as exc:
        return _bad_input(exc)
    def show(record: dict) -> None:
        print(json.dumps(record, default=str) if args.json else _sample_line(record), flush=True)

    with tempfile.TemporaryDirectory(prefix="kb-grade-") as scratch:
        store = ResultStore(args.results or Path(scratch) / "results.jsonl")
        keys = [sample_key(sample, config) for sample in samples]
        recorded = store.recorded()
        print(f"grading {len(samples)} sample(s) ...", file=sys.stderr)
        for key in keys:  # recorded by an earlier run: shown, not graded again
            if key in recorded:
                show(recorded[key])
        summary = sweep(samples, config, store, build_jobs=args.build_jobs, grades_at_once=args.at_once,
                        on_record=show)
        recorded = store.recorded()
    records = [recorded[key] for key in keys if key in recorded]
    if not args.json:
        print("\n" + report.as_text(report.summarize(records)))
    kept = f"; records in {args.results}" if args.results else ""
    print(f"{summary.samples} sample(s): {summary.graded} graded now, {summary.skipped} recorded before; "
          f"{summary.samples - summary.not_passed} passed, {summary.not_passed} did not{kept}", file=sys.stderr)
    return 1 if summary.not_passed else 0


def _sample_line(record: dict) -> str:
    verdict = record["verdict"]
    speedup = f"{verdict['speedup']:.3g}x" if verdict.get("speedup") else "-"
    return f"{verdict['status']:<14} {speedup:>8}  {record['id']}" + (
        "" if verdict["passed"] else f"  {verdict['reason'][:160]}")


def _shown(path: str) -> str:
    """Paths under the current folder, relative to it; others as they are."""
    if not path:
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def render(v: Verdict) -> str:
    """The human summary."""
    lines = [f"{v.status.value.upper()}  {v.reason}", f"  solution  {_shown(v.solution)}",
             f"  problem   {_shown(v.problem)}"]
    if v.device:
        lines.append(f"  device    {v.device}")
    if v.sizes:
        lines.append(f"  sizes     {v.sizes}")
    if v.build is not None:
        built = ", ".join(f"{e.name} ({'cached' if e.cached else f'compiled in {e.seconds:.1f} s'})"
                          for e in v.build.extensions) or "no extensions"
        lines.append(f"  build     {built}")
        if v.build.triton is not None:
            lines.extend(_triton_lines(v.build.triton))
    c = v.correctness
    if c is not None:
        if c.weights:
            lines.append(f"  weights   {c.weights}")
        passed = sum(t.passed for t in c.trials)
        if c.trials:
            worst = max(c.trials, key=lambda t: t.rel_err)
            lines.append(f"  correct   {passed}/{len(c.trials)} trials; worst relative error {worst.rel_err:.2e} "
                         f"(budget {c.rel_budget:.1e}, PyTorch's own {worst.ref_rel_err:.2e}, oracle {c.oracle})")
        lines.append(f"  outputs   {', '.join(c.outputs)}")
        if c.timed_checks:
            ok = sum(t.passed for t in c.timed_checks)
            lines.append(f"  timed     {ok}/{len(c.timed_checks)} spot-checked timed calls correct")
    if v.generalization is not None:
        g = v.generalization
        if g.passed is None:
            text = f"not tried at other sizes ({g.problem})"
        else:
            text = f"also correct at {g.sizes}" if g.passed else f"WRONG at {g.sizes}: {g.problem}"
        lines.append(f"  shapes    {text}")
        if g.note:
            lines.append(f"  {'':<9} {g.note}")
    if v.provenance is not None and v.provenance.own_share is not None:
        p = v.provenance
        lines.append(f"  own code  {p.own_share:.0%} of forward's time ({p.method})")
        if p.note:
            lines.append(f"  {'':<9} {p.note}")
    for label, t in (("reference", v.ref_timing), ("solution", v.sol_timing)):
        if t is not None:
            loops = (f", loops {' / '.join(_loop_text(loop) for loop in t.loops)} ms" if len(t.loops) > 1 else "")
            lines.append(f"  {label:<9} {t.median_ms:.4g} ms  [{t.ci_low_ms:.4g}, {t.ci_high_ms:.4g}]  "
                         f"({t.calls} calls, {t.clock}{loops})")
            if t.event_median_ms is not None:
                lines.append(f"  {'':<9} {t.event_median_ms:.4g} ms by CUDA events (host lead and tail included)")
            if t.clock_note:
                lines.append(f"  {'':<9} event clock, not the device's record: {t.clock_note}")
            if stats.power_limited(t):
                lines.append(f"  {'':<9} card at its power or thermal limit for {t.power_limited:.0%} of the timed "
                             "calls' time: this time moves with its power controller")
            if label == "reference" and v.baseline == "compile":
                lines.append(f"  {'':<9} torch.compile(Model): compiled before its loops, none of which compiled again")
            if t.contended and t.cpu_wait is not None:
                lines.append(f"  {'':<9} CONTENDED: other processes held the CPU, its threads waiting for a core "
                             f"{t.cpu_wait:.0%} of the time; grade again on a quiet machine for a time to rely on")
            if t.disturbed:
                lines.append(f"  {'':<9} DISTURBED: every loop ran while the machine was slow (empty call "
                             f"{t.empty_call_ms * 1e3:.3g} µs); grade again for a speedup to rely on")
    if v.speedup is not None and v.speedup_ci is not None:
        lo, hi = v.speedup_ci
        lines.append(f"  speedup   {v.speedup:.3g}x  [{lo:.3g}, {hi:.3g}]")
    if v.work is not None and v.work.floor_ms:
        fraction = f"; solution at {v.roofline_fraction:.1%} of it" if v.roofline_fraction else ""
        lines.append(f"  floor     {v.work.floor_ms:.4g} ms ({v.work.flops:.3g} FLOPs, {v.work.read_bytes:.3g} "
                     f"bytes){fraction}")
    if v.detail and v.status is not Status.PASS:
        lines.append("  detail")
        lines.extend(f"    {line}" for line in v.detail.strip().splitlines()[-20:])
    lines.append(f"  graded in {v.seconds:.1f} s (kb {v.grader_version})")
    return "\n".join(lines)


def _triton_lines(triton: TritonReport) -> list[str]:
    """How the Triton kernels ran, and per stage what compiled, loaded from the cache or autotuned."""
    how = ("interpreted (TRITON_INTERPRET=1): correctness and rules graded, the times no speedup claim"
           if triton.interpreted else "compiled")
    lines = [f"  triton    {triton.version}, {how}; cache {_shown(triton.cache_dir)}"]
    stages = list(dict.fromkeys(e.stage for e in triton.events))
    for stage in stages:
        events = [e for e in triton.events if e.stage == stage]
        said = []
        for action in ("compiled", "loaded"):
            done = [e for e in events if e.action == action]
            if done:
                kernels = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in Counter(e.kernel for e in done).items())
                said.append(f"{action} {kernels} ({sum(e.seconds for e in done):.2f} s)")
        said += [f"autotuned {e.kernel} in {e.seconds:.2f} s: {e.detail}" for e in events if e.action == "autotuned"]
        lines.append(f"  {'':<9} {stage}: {'; '.join(said)}")
    return lines


def _loop_text(loop: TimingLoop) -> str:
    return f"{loop.median_ms:.4g}" if loop.kept else f"({loop.median_ms:.4g} left out)"


def _build_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="compile solutions' extensions into the cache, in parallel",
                       description="Compile the extensions of one or more solution files into the build cache "
                                   "without grading them, several at a time, and on a GPU their Triton kernels "
                                   "(one forward on the paired problem's inputs). Later grades of these files "
                                   "compile nothing.",
                       epilog="example:\n  kb build solutions/level1/*.py --jobs 4",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("solutions", type=Path, nargs="+", help="solution files")
    _device_argument(p, "target device; CUDA sources need cuda")
    p.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 4),
                   help="builds at a time (default: a quarter of the CPU cores; each build runs several "
                        "compiler processes)")
    _cache_argument(p)
    _timeout_argument(p, "build", "seconds per solution")
    _server_argument(p)
    p.set_defaults(handler=_build, parser=p)


def _server_argument(p: argparse.ArgumentParser) -> None:
    from ..wire.launch import default_socket

    _setting(p, "--server", type=Path, nargs="?", const=default_socket(), metavar="SOCKET",
             help="fork the grade's processes from a running `kb serve` (default socket "
                  f"{default_socket()}) instead of starting each with its own torch import")


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    from ..wire.launch import default_socket

    p = sub.add_parser("serve", help="keep torch imported, so grades given --server start in milliseconds",
                       description="Run a fork server until interrupted: it imports torch and the grader once, and "
                                   "forks every process that a grade given --server asks for. Each grade then "
                                   "skips three torch imports (seconds each). The server never loads solution "
                                   "code and never initializes CUDA; its children start as clean as fresh "
                                   "interpreters. Start it again after changing the grader or its environment: "
                                   "it refuses clients that differ.",
                       epilog="example:\n  kb serve &\n  kb grade solutions/level1/19_ReLU.py --device cpu --server",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--socket", type=Path, default=default_socket(),
                   help=f"where to listen (default {default_socket()})")
    p.add_argument("--preload", action="append", default=[], metavar="MODULE",
                   help="a module to import once in the server besides the grader's, for children that all need "
                        "it (kb lint's server imports torch._dynamo, which counting on the meta device imports: "
                        "seconds a problem otherwise); repeatable")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ..child.server import serve
    from ..wire.launch import ServerError

    try:
        serve(args.socket, ready=sys.stderr, preload=tuple(args.preload))
    except KeyboardInterrupt:
        pass
    except (ServerError, OSError) as exc:
        print(f"kb serve: cannot listen at {args.socket}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"kb serve: --preload: {exc}", file=sys.stderr)
        return 2
    return 0


def _build(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from ..parent.grade import build

    config = _config(args)
    worst = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, verdict in zip(args.solutions, pool.map(lambda p: build(p, config), args.solutions)):
            word = "built" if verdict.passed else verdict.status.value
            built = verdict.build.extensions if verdict.build else []
            triton = verdict.build.triton if verdict.build else None
            compiled = [e for e in triton.events if e.action == "compiled"] if triton else []
            timing = ", ".join([f"{e.name} {'cached' if e.cached else f'{e.seconds:.1f} s'}" for e in built]
                               + ([f"{len(compiled)} Triton kernels {sum(e.seconds for e in compiled):.1f} s"]
                                  if compiled else []))
            print(f"{word:<14} {path}  {timing if verdict.passed else verdict.reason}")
            worst = max(worst, verdict.status.exit_code)
    return worst


def _report_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="summarise a results file, or compare two",
                       description="Summarise a results file (JSONL, from kb-sweep or kb grade --results): one "
                                   "section per context (the settings, card, driver, torch and grader a record was "
                                   "made with: the points of a multirun never pool), each with a row per set and "
                                   "overall: the share compiled and correct; fast_p at KernelBench's thresholds "
                                   "(0, 0.5, 0.8, 1, 1.5, 2: the share of all samples that passed with a speedup "
                                   "above p); ci_fast_p (the same, counting a sample only when its speedup's 95% "
                                   "interval lies above p); pass@1, 5, 10 (unbiased estimator, over the problems "
                                   "with at least k samples); the median and geometric-mean speedup of the "
                                   "samples that passed. With two files, what changed.",
                       epilog="examples:\n  kb report results/results.jsonl\n"
                              "  kb report before.jsonl after.jsonl\n\n"
                              "writes report.md (summary and one row per sample), report.csv (one row per "
                              "sample),\nsummary.csv (one row per context and set) and report.png (needs "
                              "matplotlib)",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="results file written by kb-sweep or kb grade --results")
    p.add_argument("after", type=Path, nargs="?", help="a second results file to compare against the first")
    p.add_argument("--out", type=Path, help="folder for report.md, report.csv, summary.csv and report.png "
                                            "(default: beside RESULTS)")
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from . import report
    from .results import ResultStore

    for path in (args.results, args.after):
        if path is not None and not path.is_file():
            print(f"kb report: {path} does not exist", file=sys.stderr)
            return 2
    records = list(ResultStore(args.results).records())
    if args.after is not None:
        for change, samples in report.compare(records, ResultStore(args.after).records()).items():
            print(f"{change} ({len(samples)})")
            print("\n".join(f"  {s}" for s in samples))
        return 0
    if not records:
        print(f"kb report: {args.results} holds no records", file=sys.stderr)
        return 2
    sections = report.summarize(records)
    print(report.as_text(sections))
    out = args.out or args.results.parent
    out.mkdir(parents=True, exist_ok=True)
    written = {out / "report.md": report.as_markdown(sections), out / "report.csv": report.samples_csv(sections),
               out / "summary.csv": report.summary_csv(sections)}
    for path, text in written.items():
        path.write_text(text)
    if report.plot(sections, out / "report.png"):
        written[out / "report.png"] = ""
    else:
        print("(no plot: install matplotlib, e.g. pip install -e '.[plot]')", file=sys.stderr)
    print(f"\nwrote {', '.join(map(str, written))}", file=sys.stderr)
    return 0


_LINT_EPILOG = """\
examples:
  kb lint                                   # every problems/*/*.py, on the CPU at SMALL_SIZES
  kb lint problems/level2 --jobs 2          # one folder, two problems at a time
  kb lint problems/level1/19_ReLU.py --json # the records as one JSON list
  kb lint --device cuda                     # full size: also measures time (0.5-50 ms) and memory

checks (each pass/fail with a one-line reason; docs/lint.md says what each catches):
  loads                Model(*get_init_inputs()) builds, forward returns tensors, a float64 copy runs
  deterministic        same seed -> same inputs, weights and outputs; no randomness in forward
  input_sensitive      redrawing any one input moves the output far beyond the grader's budget
  weights_sensitive    perturbing the parameters moves the output far beyond the budget
  weights_not_default  no parameter is one repeated value (LayerNorm weight=1, zero bias)
  rejects_zeros, rejects_constant, rejects_passthrough, rejects_bf16, rejects_replay
                       trivial candidates (zeros, the mean, an input, the reference in bfloat16,
                       the last trial's output) fail the budget the grader applies
  cpu_size             (CPU) a problem without SMALL_SIZES is estimated light enough to lint at full size
  time, memory         (CUDA) the reference takes 0.5-50 ms and at most 24 GB
Full-size FLOPs and bytes are estimated on the meta device (nothing allocated); on the CPU
an estimated H100 time outside 0.5-50 ms or a footprint over 24 GB is a warning.

exit codes: 0 every problem passes, 1 some problem fails, 2 bad input (no such path, no
problems found, --device cuda without CUDA)
"""


def _lint_parser(sub: argparse._SubParsersAction) -> None:
    from .lint import DEFAULT_TIMEOUT

    p = sub.add_parser("lint", help="check that problem files are strong enough to grade against",
                       description="Check problem files: each runs in its own process and must load, be "
                                   "deterministic, depend on every input and on its weights, and make trivial "
                                   "candidate solutions fail the grader's own precision budget.",
                       epilog=_LINT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", type=Path, nargs="*", metavar="PROBLEM_FILE_OR_DIR",
                   help="problem files or folders (default: every problems/*/*.py of the repository)")
    p.add_argument("--device", choices=DEVICES, default="cpu",
                   help="cpu (default): SMALL_SIZES, size estimated; cuda: full size, time and memory measured; "
                        "auto: cuda when torch sees a GPU")
    p.add_argument("--full", action="store_true", help="run the checks at full size on the CPU too (slow)")
    p.add_argument("--json", action="store_true", help="print the records as one JSON list on stdout")
    p.add_argument("--jobs", type=int, default=1, help="problems linted at a time (default 1)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds per problem before its process is killed (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(handler=_lint)


def _lint(args: argparse.Namespace) -> int:
    from ..wire.launch import ServerError
    from . import lint

    targets = args.paths or [lint.PROBLEMS]
    try:
        problems = lint.find_problems(targets)
    except FileNotFoundError as exc:
        print(f"kb lint: {exc}", file=sys.stderr)
        return 2
    if not problems:
        print(f"kb lint: no problem files (*.py) in {', '.join(map(str, targets))}", file=sys.stderr)
        return 2
    print(f"linting {len(problems)} problem(s) on {args.device} ...", file=sys.stderr)
    try:
        reports = lint.lint_all(problems, args.device, args.full, timeout=args.timeout, jobs=args.jobs,
                                progress=lambda r: print(f"  {r.status:<4} {r.name} ({r.seconds:.1f} s)",
                                                         file=sys.stderr))
    except (BadInput, ServerError) as exc:
        print(f"kb lint: {exc}", file=sys.stderr)
        return 2
    print(lint.to_json(reports) if args.json else lint.render_table(reports))
    return 0 if all(r.status == "pass" for r in reports) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kb", description="Grade custom-kernel solutions to KernelBench-style "
                                                            "problems: build, check against a float64 oracle, time.")
    parser.add_argument("--version", action="version", version=f"kb {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _grade_parser(sub)
    _build_parser(sub)
    _report_parser(sub)
    _lint_parser(sub)
    _serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
