"""Baseline sabotage with GPU work queued just before the solution's process is stopped: after each timing
answer it sends (rebinding the worker's own send, which code in the process can do), it launches a spin kernel
of 0.1 s on a side stream. The process is stopped while the reference's rounds run, but the kernel is on the
card already; it shares the card with them and slows them down."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load

from harness import protocol

ops = load("adv_relu_cuda", [str(Path(__file__).with_name("relu_kernel.cu"))])

_side = torch.cuda.Stream()
_start, _end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
_start.record()
torch.cuda._sleep(10_000_000)
_end.record()
_end.synchronize()
_CYCLES_IN_100_MS = int(10_000_000 * 100 / _start.elapsed_time(_end))
_send = protocol.Link.send


def _send_then_load_the_card(self, **message):
    _send(self, **message)
    if "timing" in message:  # a round of ours just ended: the reference's comes next
        with torch.cuda.stream(_side):
            torch.cuda._sleep(_CYCLES_IN_100_MS)


protocol.Link.send = _send_then_load_the_card


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
