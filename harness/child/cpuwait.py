"""How long this process's threads waited for a CPU: the witness of other processes holding a loaded machine's cores.

On the CPU the timer's empty calls do not show it. On the 2-core machine empty calls took 7-11 µs with none, one
or two busy processes beside the loop, while a softmax of 3 x 1001 took 1.3 and 6.7 ms beside one against
0.12-0.13 ms quiet: an empty call is too short for a time slice to land in it, but a call that waits for a
second intra-op thread waits for that thread's core to come free (docs/timing.md, "On the CPU: other processes
holding the cores"). The scheduler counts exactly this: each thread's time runnable but waiting on a run queue
(Linux's /proc/<pid>/task/<tid>/schedstat, its second field, in ns; its first is the time it ran).

The functions are bound at import, before any solution code runs, as timing.py's clocks are.
"""
from __future__ import annotations

import os

_listdir, _open = os.listdir, open
_TASKS = "/proc/self/task"

ThreadTimes = dict[str, tuple[int, int]]  # thread id -> (ns it ran, ns it waited runnable for a CPU)


def thread_times() -> ThreadTimes | None:
    """Each of this process's threads' time on a CPU and time waiting for one, so far; None where the kernel
    does not say (no schedstat)."""
    try:
        threads = _listdir(_TASKS)
    except OSError:
        return None
    times: ThreadTimes = {}
    for thread in threads:
        try:
            with _open(f"{_TASKS}/{thread}/schedstat") as f:
                ran, waited = f.read().split()[:2]
            times[thread] = (int(ran), int(waited))
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
    return times or None


def waited_share(before: ThreadTimes | None, after: ThreadTimes | None) -> float | None:
    """Of the time this process's threads were ready to run between two readings, the share they spent waiting
    for a CPU: near 0 where the cores were theirs, about half where as many other busy threads shared them.
    Threads born in between count from zero; threads that ended are not counted."""
    if before is None or after is None:
        return None
    ran = waited = 0
    for thread, (ran_to, waited_to) in after.items():
        ran_from, waited_from = before.get(thread, (0, 0))
        ran, waited = ran + ran_to - ran_from, waited + waited_to - waited_from
    return waited / (ran + waited) if ran >= 0 and waited >= 0 and ran + waited > 0 else None
