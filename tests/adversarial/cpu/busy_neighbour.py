"""Baseline sabotage from outside the solution's process: its import forks a process that keeps the CPU busy
(and would keep a GPU busy the same way) while the reference is timed. The build process imports the solution
too. Each neighbour writes a heartbeat (time.monotonic()) to $KB_TEST_HEARTBEAT-<role>, so a test can see when
it was stopped."""
import os
import sys
import time
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())

if os.environ.get("KB_TEST_HEARTBEAT"):
    beat = Path(f"{os.environ['KB_TEST_HEARTBEAT']}-{sys.argv[2]}")  # the worker's role
    if os.fork() == 0:
        scratch = beat.with_suffix(".tmp")
        while True:
            scratch.write_text(repr(time.monotonic()))
            os.replace(scratch, beat)  # whole beats only: the kill may come mid-write
            deadline = time.monotonic() + 0.005
            while time.monotonic() < deadline:  # busy, as a saboteur would be
                pass
    # The import returns only once the neighbour beats: on a busy machine it might otherwise not have run yet
    # when its process is stopped, and leave no beat to read.
    waited_until = time.monotonic() + 30
    while not beat.exists() and time.monotonic() < waited_until:
        time.sleep(0.001)


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
