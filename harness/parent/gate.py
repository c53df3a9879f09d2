"""One device's timing loops, one at a time, with every other process that could use the device held still.

A batch grades several samples at once on a device; only their timing loops need the device alone. Each
operation a child runs on the device goes through `use()`; a timing loop goes through `exclusive()`, which waits
for the operations in flight to end, lets no new one start, and stops every other process of the device with
SIGSTOP, so that nothing of another grade runs during the loop, whether its code cooperates or not.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from ..wire.channel import Child


class DeviceGate:
    def __init__(self) -> None:
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
            if self._timing:
                child.hold()
                self._held.append(child)

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
            self._changed.wait_for(lambda: self._in_use == 0)
            self._held = [child for child in self._members if child is not timed]
            for child in self._held:
                child.hold()
        try:
            yield
        finally:
            with self._changed:
                for child in self._held:
                    child.release()
                self._held, self._timing = [], False
                self._changed.notify_all()
