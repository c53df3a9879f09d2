"""Summaries of a results file, and the difference between two.

fast_p counts a pair as faster than p only when it passed and the *lower end* of its
speedup interval clears p (the pytest gate's --kb-min-speedup judges the same). Medians and geometric means are over the pairs that passed.
Where a pair was graded more than once, its latest record counts.
"""
from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

FAST_P = (0.0, 1.0, 1.5, 2.0)


def latest(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """id -> the last record for it."""
    found: dict[str, dict[str, Any]] = {}
    for record in records:
        found[record["id"]] = record
    return found


def _speedup_low(verdict: dict[str, Any]) -> float | None:
    interval = verdict.get("speedup_ci")
    return interval[0] if interval else None


@dataclass
class Row:
    group: str
    pairs: int
    compiled: float
    correct: float
    fast: dict[float, float]
    median_speedup: float | None
    geomean_speedup: float | None


def _row(group: str, verdicts: list[dict[str, Any]]) -> Row:
    n = len(verdicts)
    passed = [v for v in verdicts if v["passed"]]
    speedups = [v["speedup"] for v in passed if v.get("speedup")]
    fast = {p: sum(1 for v in passed if (low := _speedup_low(v)) is not None and low > p) / n if n else 0.0
            for p in FAST_P}
    return Row(group=group, pairs=n,
               compiled=sum(v["status"] != "compile_error" for v in verdicts) / n if n else 0.0,
               correct=len(passed) / n if n else 0.0, fast=fast,
               median_speedup=statistics.median(speedups) if speedups else None,
               geomean_speedup=math.exp(statistics.fmean(math.log(s) for s in speedups)) if speedups else None)


def summarize(records: Iterable[dict[str, Any]]) -> list[Row]:
    """One row per problem set, then `overall`."""
    by_id = latest(records)
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in by_id.values():
        groups.setdefault(record["set"], []).append(record["verdict"])
    rows = [_row(name, verdicts) for name, verdicts in sorted(groups.items())]
    rows.append(_row("overall", [r["verdict"] for r in by_id.values()]))
    return rows


_HEADER = ["set", "pairs", "compiled %", "correct %"] + [f"fast_{p:g} %" for p in FAST_P] + [
    "median speedup", "geomean speedup"]


def _cells(row: Row) -> list[str]:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}"

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.3g}"

    return [row.group, str(row.pairs), pct(row.compiled), pct(row.correct)] + [
        pct(row.fast[p]) for p in FAST_P] + [num(row.median_speedup), num(row.geomean_speedup)]


def as_text(rows: list[Row]) -> str:
    table = [_HEADER] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADER))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
                     for line in table)


def as_markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


_PAIR_HEADER = ["pair", "status", "speedup [95% interval]", "ref ms", "sol ms", "roofline fraction",
                "own share", "other sizes", "reason"]


def pairs_markdown(records: Iterable[dict[str, Any]]) -> str:
    """One row per pair: the verdict, the speedup, how close to the card's floor, whose code did the work."""
    def num(x: Any) -> str:
        return f"{x:.4g}" if isinstance(x, (int, float)) else "-"

    lines = ["| " + " | ".join(_PAIR_HEADER) + " |", "|" + "---|" * len(_PAIR_HEADER)]
    for pair_id, record in sorted(latest(records).items()):
        v = record["verdict"]
        ci = v.get("speedup_ci")
        speedup = f"{v['speedup']:.3g} [{ci[0]:.3g}, {ci[1]:.3g}]" if v.get("speedup") and ci else "-"
        own = (v.get("provenance") or {}).get("own_share")
        sizes = {True: "correct", False: "wrong", None: "-"}[(v.get("generalization") or {}).get("passed")]
        reason = "" if v["passed"] else v["reason"].replace("|", "/")[:120]
        lines.append(f"| {pair_id} | {v['status']} | {speedup} | {num(v.get('ref_ms'))} | {num(v.get('sol_ms'))} | "
                     f"{num(v.get('roofline_fraction'))} | {num(own)} | {sizes} | {reason} |")
    return "\n".join(lines) + "\n"


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_HEADER)
    writer.writerows(_cells(r) for r in rows)
    return out.getvalue()


def plot(records: Iterable[dict[str, Any]], path: Path) -> bool:
    """A PNG of the speedups of correct pairs per set (log scale); False where matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    groups: dict[str, list[float]] = {}
    for record in latest(records).values():
        verdict = record["verdict"]
        if verdict["passed"] and verdict.get("speedup"):
            groups.setdefault(record["set"], []).append(verdict["speedup"])
    names = sorted(groups)
    figure, axes = plt.subplots(figsize=(max(5.0, 1.6 * len(names) + 2), 4))
    for i, name in enumerate(names):
        values = sorted(groups[name])
        axes.scatter([i + 1] * len(values), values, alpha=0.6, s=18)
        axes.hlines(statistics.median(values), i + 0.7, i + 1.3, colors="black")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes.set_yscale("log")
    axes.set_xticks(range(1, len(names) + 1), names)
    axes.set_xlim(0.4, len(names) + 0.6)
    axes.set_ylabel("speedup over PyTorch (correct pairs)")
    axes.set_title("speedup per set (bar: median, dashed: 1x)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def compare(before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Pairs graded in both runs: newly broken, newly fixed, faster, slower (intervals apart)."""
    a, b = latest(before), latest(after)
    changes: dict[str, list[str]] = {"newly broken": [], "newly fixed": [], "faster": [], "slower": []}
    for pair_id in sorted(a.keys() & b.keys()):
        old, new = a[pair_id]["verdict"], b[pair_id]["verdict"]
        if old["passed"] and not new["passed"]:
            changes["newly broken"].append(f"{pair_id}: {new['status']}: {new['reason']}")
        elif new["passed"] and not old["passed"]:
            changes["newly fixed"].append(pair_id)
        elif old["passed"] and new["passed"] and old.get("speedup_ci") and new.get("speedup_ci"):
            if new["speedup_ci"][0] > old["speedup_ci"][1]:
                changes["faster"].append(f"{pair_id}: {old['speedup']:.3g}x -> {new['speedup']:.3g}x")
            elif new["speedup_ci"][1] < old["speedup_ci"][0]:
                changes["slower"].append(f"{pair_id}: {old['speedup']:.3g}x -> {new['speedup']:.3g}x")
    return changes
