"""Summaries of a results file, and the difference between two.

Records are first split by their context (results.CONTEXT_KEYS: the settings that shaped them, card, driver,
torch, grader version): each context is a section of its own, so the points of a multirun, or a rerun on another
card, never pool. Within a section, one row per set and one `overall`:

- correct: the share of samples that passed (built, correct on every trial, timed, no rule broken);
- fast_p, at KernelBench's thresholds: the share of *all* samples that passed with a speedup above p (the point
  estimate: reference median over solution median), as KernelBench's fast_p counts; fast_0 is the correct share
  of timed samples;
- ci_fast_p: the same share, counting a sample only when the *lower end* of its speedup's 95% interval is above
  p (the pytest gate's --kb-min-speedup judges the same): faster than p for sure, not by the timer's noise;
- pass@k: per problem with n samples of which c passed, 1 - C(n-c, k) / C(n, k) (the unbiased estimator of the
  Codex paper, Chen et al. 2021), averaged over the problems that have at least k samples; none has: no value;
- the median and geometric mean of the speedups of the samples that passed.

A grade that stopped before it reached the device (a compile error, a file that did not load) names no card,
driver or torch; it counts in the section of its settings and grader version, where that section is one. Where a
sample was graded more than once in one context, its latest record counts.
"""
from __future__ import annotations

import csv
import io
import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..common.settings import TIMING_PROFILES, GradeConfig
from .results import CONTEXT_KEYS, settings_of
from .samples import natural_order

FAST_P = (0.0, 0.5, 0.8, 1.0, 1.5, 2.0)  # KernelBench's thresholds
CI_FAST_P = (1.0, 1.5, 2.0)
PASS_AT = (1, 5, 10)

Record = dict[str, Any]


def _context(record: Record) -> str:
    """What a record was graded under, as one comparable string."""
    return json.dumps({key: record.get(key) for key in CONTEXT_KEYS}, sort_keys=True)


def _placed(records: Iterable[Record]) -> list[tuple[str, Record]]:
    """Each record with the context it counts in. A grade that stopped before it reached the device (a compile
    error, a file that did not load) names no card, driver or torch: it counts with the records of its settings
    and grader that do, where they name one card, driver and torch (else it stays apart)."""
    records = list(records)
    known: dict[str, set[str]] = {}
    for record in records:
        if record.get("card") is not None:
            known.setdefault(_settings_context(record), set()).add(_context(record))
    placed = []
    for record in records:
        candidates = known.get(_settings_context(record), set()) if record.get("card") is None else set()
        placed.append((next(iter(candidates)) if len(candidates) == 1 else _context(record), record))
    return placed


def _settings_context(record: Record) -> str:
    return json.dumps([record.get("settings"), record.get("grader_version")], sort_keys=True)


def latest(records: Iterable[Record]) -> dict[tuple[str, str], Record]:
    """(context, sample id) -> the last record for it."""
    return {(context, record["id"]): record for context, record in _placed(records)}


_DEFAULT_SETTINGS = settings_of(GradeConfig())
_PROFILE_NAMES = {json.dumps(asdict(profile), sort_keys=True): name for name, profile in TIMING_PROFILES.items()}


def context_fields(record: Record) -> dict[str, str]:
    """The record's context as named strings: each setting (a timing profile by its name), card, driver, torch and
    grader version; `-` where the record does not say (records of older graders)."""
    settings = record.get("settings") or {}
    fields = {}
    for name in list(_DEFAULT_SETTINGS) + [name for name in settings if name not in _DEFAULT_SETTINGS]:
        fields[name] = _setting_text(name, settings[name]) if name in settings else "-"
    for name in CONTEXT_KEYS[1:]:
        fields[name] = "-" if record.get(name) is None else str(record[name])
    return fields


def _setting_text(name: str, value: Any) -> str:
    if name == "timing" and isinstance(value, dict):
        return _PROFILE_NAMES.get(json.dumps(value, sort_keys=True), "custom " + json.dumps(value, sort_keys=True))
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


@dataclass
class Row:
    group: str
    samples: int
    problems: int
    compiled: float
    correct: float
    fast: dict[float, float]            # KernelBench's fast_p, by the point speedup
    ci_fast: dict[float, float]         # by the lower end of the speedup's interval
    pass_at: dict[int, float | None]    # None: no problem has k samples
    median_speedup: float | None
    geomean_speedup: float | None


@dataclass
class Section:
    """The records of one context, summarised per set and overall. `label`: what tells it from the other
    sections (empty where there is one)."""

    context: dict[str, str]
    label: str
    records: list[Record] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of k samples drawn from n, c of them correct, is correct: unbiased."""
    if not 0 < k <= n:
        raise ValueError(f"pass@{k} needs at least {k} samples, not {n}")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _row(group: str, records: list[Record]) -> Row:
    verdicts = [r["verdict"] for r in records]
    n = len(verdicts)
    passed = [v for v in verdicts if v["passed"]]
    speedups = [v["speedup"] for v in passed if v.get("speedup")]

    def share(count: int) -> float:
        return count / n if n else 0.0

    by_problem: dict[tuple[str, str], list[bool]] = {}
    for record in records:
        by_problem.setdefault((record["set"], record["name"]), []).append(record["verdict"]["passed"])
    pass_at: dict[int, float | None] = {}
    for k in PASS_AT:
        values = [pass_at_k(len(outcomes), sum(outcomes), k) for outcomes in by_problem.values() if len(outcomes) >= k]
        pass_at[k] = statistics.fmean(values) if values else None
    return Row(group=group, samples=n, problems=len(by_problem),
               compiled=share(sum(v["status"] != "compile_error" for v in verdicts)), correct=share(len(passed)),
               fast={p: share(sum(1 for v in passed if (v.get("speedup") or 0) > p)) for p in FAST_P},
               ci_fast={p: share(sum(1 for v in passed if v.get("speedup_ci") and v["speedup_ci"][0] > p))
                        for p in CI_FAST_P},
               pass_at=pass_at, median_speedup=statistics.median(speedups) if speedups else None,
               geomean_speedup=math.exp(statistics.fmean(math.log(s) for s in speedups)) if speedups else None)


def summarize(records: Iterable[Record]) -> list[Section]:
    """One section per context (in the order first seen), each with a row per set, then `overall`."""
    sections: dict[str, Section] = {}
    for (context, _), record in latest(records).items():
        if context not in sections:
            sections[context] = Section(context=context_fields(json.loads(context)), label="")
        sections[context].records.append(record)
    for section in sections.values():
        section.records.sort(key=lambda r: natural_order(r["id"]))
        sets: dict[str, list[Record]] = {}
        for record in section.records:
            sets.setdefault(record["set"], []).append(record)
        section.rows = [_row(name, group) for name, group in sorted(sets.items(), key=lambda s: natural_order(s[0]))]
        section.rows.append(_row("overall", section.records))
    found = list(sections.values())
    if len(found) > 1:
        differing = [name for name in found[0].context if len({s.context[name] for s in found}) > 1]
        for section in found:
            section.label = ", ".join(f"{name}={section.context[name]}" for name in differing)
    return found


def describe(section: Section) -> str:
    """The section's context in one line: settings that differ from the grader's defaults, then where."""
    changed = [f"{name}={value}" for name, value in section.context.items()
               if name in _DEFAULT_SETTINGS and value != _setting_text(name, _DEFAULT_SETTINGS[name])]
    where = [f"{name} {section.context[name]}" for name in CONTEXT_KEYS[1:]]
    return f"settings: {', '.join(changed) or 'the defaults'}; {', '.join(where)}"


_HEADER = (["set", "samples", "problems", "compiled %", "correct %"] + [f"fast_{p:g} %" for p in FAST_P]
           + [f"ci_fast_{p:g} %" for p in CI_FAST_P] + [f"pass@{k} %" for k in PASS_AT]
           + ["median speedup", "geomean speedup"])


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _num(x: Any, digits: int = 3) -> str:
    return f"{x:.{digits}g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else "-"


def _cells(row: Row) -> list[str]:
    return ([row.group, str(row.samples), str(row.problems), _pct(row.compiled), _pct(row.correct)]
            + [_pct(row.fast[p]) for p in FAST_P] + [_pct(row.ci_fast[p]) for p in CI_FAST_P]
            + [_pct(row.pass_at[k]) for k in PASS_AT] + [_num(row.median_speedup), _num(row.geomean_speedup)])


def as_text(sections: list[Section]) -> str:
    blocks = []
    for section in sections:
        table = [_HEADER] + [_cells(r) for r in section.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(_HEADER))]
        lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
                 for line in table]
        blocks.append("\n".join([describe(section)] + lines))
    return "\n\n".join(blocks)


_SAMPLE_HEADER = ["sample", "status", "speedup [95% interval]", "ref ms", "sol ms", "roofline fraction",
                  "own share", "other sizes", "reason"]


def as_markdown(sections: list[Section]) -> str:
    """Per context: what it was, the summary table, then one row per sample: the verdict, the speedup, how close
    to the card's floor, whose code did the work."""
    parts = []
    for section in sections:
        parts.append(f"## {section.label or 'Results'}\n")
        parts.append("| " + " | ".join(section.context) + " |\n|" + "---|" * len(section.context) + "\n| "
                     + " | ".join(section.context.values()) + " |\n")
        parts.append(_table(_HEADER, [_cells(r) for r in section.rows]))
        parts.append(_table(_SAMPLE_HEADER, [_sample_cells(r) for r in section.records]))
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _sample_cells(record: Record) -> list[str]:
    v = record["verdict"]
    ci = v.get("speedup_ci")
    speedup = f"{v['speedup']:.3g} [{ci[0]:.3g}, {ci[1]:.3g}]" if v.get("speedup") and ci else "-"
    own = (v.get("provenance") or {}).get("own_share")
    sizes = {True: "correct", False: "wrong", None: "-"}[(v.get("generalization") or {}).get("passed")]
    reason = "" if v["passed"] else v["reason"][:120]
    return [record["id"], v["status"], speedup, _num(v.get("ref_ms"), 4), _num(v.get("sol_ms"), 4),
            _num(v.get("roofline_fraction"), 4), _num(own, 4), sizes, reason]


_CSV_SAMPLE = ["id", "set", "name", "sample", "status", "passed", "speedup", "speedup_low", "speedup_high",
               "ref_ms", "sol_ms", "roofline_fraction", "own_share", "other_sizes", "reason", "solution", "problem",
               "graded_at", "key"]


def samples_csv(sections: list[Section]) -> str:
    """One row per sample: its context's fields, then its verdict's numbers."""
    out = io.StringIO()
    writer = csv.writer(out)
    context_header = _context_header(sections)
    writer.writerow(context_header + _CSV_SAMPLE)
    for section in sections:
        for record in section.records:
            v = record["verdict"]
            ci = v.get("speedup_ci") or [None, None]
            row = {"id": record["id"], "set": record["set"], "name": record["name"],
                   "sample": record.get("sample", ""), "status": v["status"], "passed": v["passed"],
                   "speedup": v.get("speedup"), "speedup_low": ci[0], "speedup_high": ci[1],
                   "ref_ms": v.get("ref_ms"), "sol_ms": v.get("sol_ms"),
                   "roofline_fraction": v.get("roofline_fraction"),
                   "own_share": (v.get("provenance") or {}).get("own_share"),
                   "other_sizes": (v.get("generalization") or {}).get("passed"), "reason": v.get("reason", ""),
                   "solution": record.get("solution", v.get("solution")),
                   "problem": record.get("problem", v.get("problem")),
                   "graded_at": record.get("graded_at"), "key": record["key"]}
            writer.writerow([section.context.get(name, "-") for name in context_header]
                            + ["" if row[name] is None else row[name] for name in _CSV_SAMPLE])
    return out.getvalue()


def summary_csv(sections: list[Section]) -> str:
    """One row per context and set: the context's fields, then the summary's columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    context_header = _context_header(sections)
    writer.writerow(context_header + _HEADER)
    for section in sections:
        writer.writerows([section.context.get(name, "-") for name in context_header] + _cells(row)
                         for row in section.rows)
    return out.getvalue()


def _context_header(sections: list[Section]) -> list[str]:
    return list(dict.fromkeys(name for section in sections for name in section.context))


def plot(sections: list[Section], path: Path) -> bool:
    """A PNG of the speedups of correct samples per set and context (log scale); False where matplotlib is
    missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    groups: dict[str, list[float]] = {}
    for section in sections:
        for record in section.records:
            verdict = record["verdict"]
            if verdict["passed"] and verdict.get("speedup"):
                name = record["set"] + (f"\n{section.label}" if section.label else "")
                groups.setdefault(name, []).append(verdict["speedup"])
    names = list(groups)
    figure, axes = plt.subplots(figsize=(max(5.0, 1.6 * len(names) + 2), 4))
    for i, name in enumerate(names):
        values = sorted(groups[name])
        axes.scatter([i + 1] * len(values), values, alpha=0.6, s=18)
        axes.hlines(statistics.median(values), i + 0.7, i + 1.3, colors="black")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes.set_yscale("log")
    axes.set_xticks(range(1, len(names) + 1), names, fontsize=8)
    axes.set_xlim(0.4, len(names) + 0.6)
    axes.set_ylabel("speedup over PyTorch (correct samples)")
    axes.set_title("speedup per set (bar: median, dashed: 1x)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def compare(before: Iterable[Record], after: Iterable[Record]) -> dict[str, list[str]]:
    """Samples graded under the same settings in both runs (card, torch or grader may differ: that may be the
    point): newly broken, newly fixed, faster, slower (intervals apart)."""
    def by_sample(records: Iterable[Record]) -> dict[tuple[str, str], Record]:
        return {(r["id"], json.dumps(r.get("settings"), sort_keys=True)): r for r in records}

    a, b = by_sample(before), by_sample(after)
    changes: dict[str, list[str]] = {"newly broken": [], "newly fixed": [], "faster": [], "slower": []}
    for key in sorted(a.keys() & b.keys(), key=lambda k: (natural_order(k[0]), k[1])):
        sample_id = key[0]
        old, new = a[key]["verdict"], b[key]["verdict"]
        if old["passed"] and not new["passed"]:
            changes["newly broken"].append(f"{sample_id}: {new['status']}: {new['reason']}")
        elif new["passed"] and not old["passed"]:
            changes["newly fixed"].append(sample_id)
        elif old["passed"] and new["passed"] and old.get("speedup_ci") and new.get("speedup_ci"):
            if new["speedup_ci"][0] > old["speedup_ci"][1]:
                changes["faster"].append(f"{sample_id}: {old['speedup']:.3g}x -> {new['speedup']:.3g}x")
            elif new["speedup_ci"][1] < old["speedup_ci"][0]:
                changes["slower"].append(f"{sample_id}: {old['speedup']:.3g}x -> {new['speedup']:.3g}x")
    return changes
