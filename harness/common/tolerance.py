"""Where the tolerance is decided: the precision budget for a solution's outputs.

The budget is tied to what PyTorch itself delivers: the reference's own error
against the float64 oracle, times `REFERENCE_MULTIPLE`, never tighter than a
floor for the output dtype. A kernel as accurate as PyTorch passes with room
to spare; one that quietly computes in a lower precision than the reference
(bf16 inside an fp32 problem, TF32 where PyTorch uses full fp32) does not.

Two numbers per output (harness.child.compare measures them):
  rel_err  = ||out - oracle|| / ||oracle||                 (catches spread-out error)
  elem_err = max |out - oracle| / (|oracle| + rms(oracle))  (catches a few wrong elements)
Neither has an absolute tolerance, so an all-zero output fails even when every
true value is tiny (softmax over 65536 columns).
"""
from __future__ import annotations

from dataclasses import dataclass

REFERENCE_MULTIPLE = 4.0

# dtype -> (rel_err floor, elem_err floor). fp32 floors sit below TF32's ~3e-4 and
# far above an honest fp32 reduction's ~1e-6; half-precision floors sit at a few ulps.
DTYPE_FLOORS: dict[str, tuple[float, float]] = {
    "float64": (1e-10, 1e-9),
    "float32": (1e-4, 1e-3),
    "float16": (2e-3, 2e-2),
    "bfloat16": (1.6e-2, 1.2e-1),
    "complex64": (1e-4, 1e-3),
    "complex128": (1e-10, 1e-9),
}
_UNKNOWN_FLOOR = (1e-4, 1e-3)


@dataclass(frozen=True)
class Budget:
    rel: float
    elem: float


def budget(dtype: str, ref_rel_err: float, ref_elem_err: float) -> Budget:
    """Largest accepted errors for an output of `dtype` whose PyTorch reference has the given errors."""
    rel_floor, elem_floor = DTYPE_FLOORS.get(dtype, _UNKNOWN_FLOOR)
    return Budget(rel=max(rel_floor, REFERENCE_MULTIPLE * ref_rel_err),
                  elem=max(elem_floor, REFERENCE_MULTIPLE * ref_elem_err))


def within(rel_err: float, elem_err: float, allowed: Budget) -> bool:
    return rel_err <= allowed.rel and elem_err <= allowed.elem
