"""One device's timing loops, one at a time, with every other process that could use the device held still.

A batch grades several samples at once on a device; only their timing loops need the device alone. Each
operation a child runs on the device goes through `use()`; a timing loop goes through `exclusive()`, which lets
no new operation start, waits for those in flight to end (`grace` seconds at most: a hung one is not waited
for), and stops every other process of the device with SIGSTOP, so that nothing of another grade runs during
the loop, whether its code cooperates or not. The time a process is held does not count to its timeouts.
A GPU kernel that a held process had already queued still runs to its end: the grace lets every operation
that ends in time finish first, so only one that outlasts it (a hang, which its own timeout then ends) can
overlap a loop.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

from ..wire.channel import Child


class DeviceGate:
    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self._changed = threading.Condition()
        self._in_use = 0
        self._timing = False
        self._members: set[Child] = set()
        self._held: list[Child] = []  # during a loop: every member but the timed one

    def join(self, child: Child) -> None:
        """`child` runs on this device from now on: it is held still during every other process's loops (one
        that starts during a loop is held at once)."""
        with self._changed:
            self._members.add(child)
            if not self._timing:
                return
            child.hold()
            self._held.append(child)
        _until_stopped([child])

    def leave(self, child: Child) -> None:
        with self._changed:
            self._members.discard(child)
            if child in self._held:
                self._held.remove(child)

    @contextmanager
    def use(self) -> Iterator[None]:
        """One operation of a child on the device; waits while a loop is being timed."""
        with self._changed:
            self._changed.wait_for(lambda: not self._timing)
            self._in_use += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= 1
                self._changed.notify_all()

    @contextmanager
    def exclusive(self, timed: Child) -> Iterator[None]:
        """The device for `timed` alone: the operations in flight finish, every other member is held."""
        with self._changed:
            self._changed.wait_for(lambda: not self._timing)
            self._timing = True  # from here no operation starts
            self._changed.wait_for(lambda: self._in_use == 0, timeout=self.grace)
            self._held = [child for child in self._members if child is not timed]
            for child in self._held:
                child.hold()
        _until_stopped(self._held)
        try:
            yield
        finally:
            with self._changed:
                for child in self._held:
                    child.release()
                self._held, self._timing = [], False
                self._changed.notify_all()


def _until_stopped(children: list[Child], seconds: float = 1.0) -> None:
    """Wait (a moment, at most `seconds`) until every held child has stopped."""
    deadline = time.monotonic() + seconds
    while not all(child.stopped() for child in children) and time.monotonic() < deadline:
        time.sleep(0.001)
