"""A child process: where the reference, the solution and a lint actually run.

Four roles, each in its own process (started by harness.wire.launch, spawned or forked):

  reference  loads the problem only: reference outputs, the float64 oracle, the reference's timing, and
             the measure of the solution's saved outputs (harness.child.reference)
  build      imports the solution with torch's JIT loaders swapped for the content-addressed cache, then
             is killed (harness.child.build)
  solution   imports the solution again (builds now come from the cache) when told, runs ModelNew under
             the guard's rules on inputs from seeds it learns only then, saves outputs, times
             (harness.child.solution)
  lint       every check of `kb lint` on one problem file (harness.child.lint)

`ROLES` is the table: each role's settings type and its function. A role answers through its Link; what
it cannot do comes back as Failed, with the status that says whose fault it was.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

# Bound before any solution code can run: see timing.py.
import torch  # noqa: F401

from ..common.errors import BadInput
from ..common.verdict import Status
from ..wire.channel import Link, ProtocolError
from ..wire.codec import Malformed, decode
from ..wire.messages import ChildSettings, LintSettings
from . import build, lint, reference, solution
from .failure import Failure, classify

ROLES: dict[str, tuple[type, Callable[[Link, Any], None]]] = {
    "reference": (ChildSettings, reference.run),
    "build": (ChildSettings, build.run),
    "solution": (ChildSettings, solution.run),
    "lint": (LintSettings, lint.run),
}


def main() -> None:
    """A spawned child: its role, answer pipe and settings come in argv (argv[1]: the harness's root)."""
    run(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))


def run(role: str, answer_fd: int, encoded_settings: dict[str, Any]) -> None:
    """Play `role` until the parent's commands end, answering on `answer_fd`; never returns."""
    link = Link(role, answer_fd)
    try:
        if role not in ROLES:
            raise ProtocolError(f"no role {role!r}: the roles are {', '.join(ROLES)}")
        kind, play = ROLES[role]
        play(link, decode(encoded_settings, kind))
    except Failure as failure:
        link.fail(failure.status, failure.reason, failure.detail)
    except Malformed as exc:
        link.fail(Status.ERROR, f"the {role} process was started with malformed settings: {exc}")
    except (BadInput, ProtocolError) as exc:
        link.fail(Status.ERROR, str(exc))
    except BaseException as exc:
        failure = classify(exc, Status.ERROR, None)
        link.fail(failure.status, failure.reason, failure.detail)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: solution objects get no chance to run at exit
