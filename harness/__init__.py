"""kb: a trusted grader for KernelBench-style custom-kernel solutions.

The public API (the CLI, kb-sweep and the pytest gate are thin layers over it):

    import harness
    verdict = harness.grade("solutions/level1/19_ReLU.py", device="cpu", trials=3)
    verdict.status, verdict.speedup, verdict.to_json()

`grade` and `build` take a GradeConfig, keyword settings, or both (`configure` builds one the same way).
The package's layout is its trust boundary (docs/design.md):

  common/  plain values and pure functions both sides share: settings, the verdict, statistics, tolerance
  parent/  the trusted parent: runs a grade and decides its verdict; never imports torch or solution code
  wire/    what crosses between parent and children: typed messages, signed lines, starting a child
  child/   the processes that run beside solution code: reference, build, solution, lint, `kb serve`
  tools/   built on the API: the kb command line, kb-sweep, results and reports, the pytest gate, kb lint
"""
from .common.errors import BadInput, SettingsError
from .common.settings import TIMING_PROFILES, GradeConfig, Timeouts, TimingProfile, configure
from .common.version import VERSION as __version__
from .common.verdict import (BuildReport, CorrectnessReport, Extension, Generalization, Provenance, Status, Timing,
                             TimingLoop, TrialResult, Verdict, Work)
from .parent.grade import build, grade

__all__ = ["__version__", "BadInput", "BuildReport", "CorrectnessReport", "Extension", "Generalization", "GradeConfig", "Provenance",
           "SettingsError", "Status", "TIMING_PROFILES", "Timeouts", "Timing", "TimingLoop", "TimingProfile",
           "TrialResult", "Verdict", "Work", "build", "configure", "grade"]
