"""Measure how far outputs are from the float64 oracle.

Runs in the reference process, which never imports solution code (and in `kb lint`). It only
measures; whether a measurement is good enough is decided in harness.common.tolerance.
"""
from __future__ import annotations

import torch

from ..common.verdict import OutputError, OutputSpec
from .tensors import listed


def spec_of(tensor: torch.Tensor) -> OutputSpec:
    return OutputSpec(dtype=str(tensor.dtype).removeprefix("torch."), shape=list(tensor.shape))


class NotATensor(Exception):
    """forward returned something other than tensors."""


def as_outputs(result: object) -> list[torch.Tensor]:
    """A forward's result as a list of tensors: a tensor, or a tuple/list of them."""
    items = listed(result)
    for i, item in enumerate(items):
        if type(item) is not torch.Tensor and not isinstance(item, torch.nn.Parameter):
            raise NotATensor(f"output {i} is {type(item).__name__}, expected torch.Tensor")
    return items


def _index(flat_index: int, shape: torch.Size) -> list[int]:
    index = []
    for size in reversed(shape):
        index.append(flat_index % size)
        flat_index //= size
    return index[::-1]


def measure_error(out: torch.Tensor, oracle: torch.Tensor, reference: torch.Tensor, label: str) -> OutputError:
    """Error of `out` against `oracle`; `reference` (the PyTorch output) supplies the expected shape and dtype."""
    expected = spec_of(reference)
    got = spec_of(out)
    if got.shape != expected.shape:
        return OutputError.unmeasurable(f"{label} has shape {got.shape}, expected {expected.shape}")
    if got.dtype != expected.dtype:
        return OutputError.unmeasurable(f"{label} has dtype {got.dtype}, expected {expected.dtype}")
    if out.numel() == 0:
        return OutputError()
    if not (oracle.is_floating_point() or oracle.is_complex()):
        wrong = (out.to(reference.device) != reference)
        count = int(wrong.sum())
        if count:
            first = int(wrong.flatten().nonzero()[0])
            return OutputError(rel_err=count / out.numel(), elem_err=1.0,
                               problem=f"{label}: {count} of {out.numel()} values differ, first at "
                                       f"{_index(first, out.shape)}: got {out.flatten()[first].item()}, "
                                       f"expected {reference.flatten()[first].item()}")
        return OutputError()

    dtype = torch.complex128 if oracle.is_complex() else torch.float64
    mine, want = out.to(oracle.device).flatten(), oracle.to(dtype).flatten()
    diff = torch.sub(mine, want)  # in float64 (or complex128): the promotion happens inside the one pass
    diff = diff.abs() if diff.is_complex() else diff.abs_()
    scale, total = want.norm(), diff.sum()
    if not bool(torch.isfinite(scale) & torch.isfinite(total)):  # finite sums: every element is finite
        masked = _finite_part(mine, want, out.shape, label)
        if isinstance(masked, OutputError):
            return masked
        mine, want, diff, kept = masked
        scale = want.norm()
    else:
        kept = None
    rms = scale / max(1, want.numel()) ** 0.5
    rel = float(diff.norm() / scale) if scale > 0 else float(diff.norm())
    elementwise = diff.div_(want.abs().add_(rms)) if rms > 0 else diff
    worst = int(elementwise.argmax())
    flat_worst = int(kept[worst]) if kept is not None else worst
    return OutputError(
        rel_err=rel, elem_err=float(elementwise[worst]),
        worst=f"{_index(flat_worst, out.shape)}: got {mine[worst].item():.6g}, expected {want[worst].item():.6g}",
    )


def _finite_part(mine: torch.Tensor, want: torch.Tensor, shape: torch.Size,
                 label: str) -> OutputError | tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Where the oracle is finite: the outputs, the oracle, their distance and the flat indices kept; or the
    error of an output that is NaN or inf where the oracle is finite."""
    finite = torch.isfinite(want)
    bad = finite & ~torch.isfinite(mine)
    if bool(bad.any()):
        first = int(bad.nonzero()[0])
        return OutputError.unmeasurable(f"{label} has {int(bad.sum())} NaN/inf values where the reference is "
                                        f"finite, first at {_index(first, shape)}")
    kept = finite.nonzero().flatten()
    mine, want = mine[kept], want[kept]
    diff = torch.sub(mine, want)
    return mine, want, diff.abs() if diff.is_complex() else diff.abs_(), kept
