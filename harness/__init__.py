"""kb: a trusted grader for KernelBench-style custom-kernel solutions.

Stages, one module each, data flowing one way:
  problem.py -> buildcache.py -> worker.py (isolated processes) -> compare.py
  -> tolerance.py -> timing.py -> verdict.py, orchestrated by grade.py.
"""
from .config import GradeConfig, Timeouts, TimingProfile
from .verdict import Status, Verdict


def grade(*args, **kwargs):
    """See harness.grade.grade."""
    from .grade import grade as _grade

    return _grade(*args, **kwargs)


__all__ = ["GradeConfig", "Status", "Timeouts", "TimingProfile", "Verdict", "grade"]
