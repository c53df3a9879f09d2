"""Baseline sabotage with GPU work queued just before the solution's process is stopped: a thread started at
import keeps a 0.1 s spin kernel on the card whenever the worker's main thread sits waiting for its next
command, as it does between its rounds. The process is then stopped while the reference's rounds run, but the
kernel in flight keeps running: the card time-slices between the two processes' contexts and the reference's
rounds slow down."""
import os
import threading
import time
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load

ops = load("adv_relu_cuda", [str(Path(__file__).with_name("relu_kernel.cu"))])

_side = torch.cuda.Stream()
_start, _end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
_start.record()
torch.cuda._sleep(10_000_000)
_end.record()
_end.synchronize()
_CYCLES_IN_100_MS = int(10_000_000 * 100 / _start.elapsed_time(_end))


def _main_thread_waits_for_a_command() -> bool:
    try:
        with open(f"/proc/self/task/{os.getpid()}/syscall") as f:
            return f.read().split()[0] == "0"  # read(2) on x86-64: the worker reading its next command
    except (OSError, IndexError):
        return False


def _load_the_card_while_idle() -> None:
    while True:
        if _main_thread_waits_for_a_command():
            with torch.cuda.stream(_side):
                torch.cuda._sleep(_CYCLES_IN_100_MS)
            _side.synchronize()
        else:
            time.sleep(0.0002)


threading.Thread(target=_load_the_card_while_idle, daemon=True).start()


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
