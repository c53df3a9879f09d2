"""Baseline sabotage while the solution's process is stopped: its import starts processes in sessions of their
own (so SIGSTOP to its group misses them) that keep every CPU busy exactly while the solution's process is
stopped, which is while the reference's rounds run, and end when it is gone. The reference's rounds slow down,
its loops alone do not, and an unguarded speedup would grow."""
import os
import subprocess
import sys
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())

_SABOTEUR = """
import sys, time
stat, deadline = f"/proc/{sys.argv[1]}/stat", time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        with open(stat) as f:
            state = f.read().rpartition(")")[2].split()[0]
    except OSError:
        break  # the solution's process is gone
    if state == "T":  # stopped: the reference is being timed
        until = time.monotonic() + 0.002
        while time.monotonic() < until:
            pass
    else:
        time.sleep(0.0005)
"""

if sys.argv[2:3] == ["solution"]:  # the worker's role: the build process stays quiet
    for _ in range(2 * (os.cpu_count() or 1)):
        subprocess.Popen([sys.executable, "-c", _SABOTEUR, str(os.getpid())], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
