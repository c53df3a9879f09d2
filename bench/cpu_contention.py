"""What a loaded CPU does to a timing loop, and which witness shows it: the empty calls, or the scheduler's count.

For 0, 1 and 2 busy processes (`while True: pass`) beside it, this times two small forwards with the grader's own
timer (harness.child.timing.measure, default profile, on the CPU): a softmax and a ReLU of 3 x 1001 floats, the
sizes the CPU grades of problems/level1/23_Softmax.py and 19_ReLU.py use. Per loop: the median call, the median
empty call, and the share of its threads' ready time they spent waiting for a CPU (harness.child.cpuwait), which
the verdict flags from stats.CONTENDED_SHARE on. The quiet rows run first and again last.

    python bench/cpu_contention.py --repeats 2
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.child import timing  # noqa: E402
from harness.common.settings import TIMING_PROFILES  # noqa: E402
from harness.common.stats import CONTENDED_SHARE, median_ci  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2, help="loops per forward and load")
    args = parser.parse_args()
    x = torch.randn(3, 1001)
    forwards = {"softmax": lambda: torch.softmax(x, dim=1), "relu": lambda: torch.relu(x)}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads; flag from "
          f"{CONTENDED_SHARE:.0%} waited")
    print("| busy processes | forward | median call µs | empty call µs | threads waited | flagged |")
    print("|---|---|---|---|---|---|")
    for busy in (0, 1, 2, 0):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        time.sleep(0.3)
        try:
            for name, forward in forwards.items():
                for _ in range(args.repeats):
                    report = timing.measure(forward, torch.device("cpu"), TIMING_PROFILES["default"])
                    wait = report.cpu_wait
                    print(f"| {busy} | {name} | {median_ci(report.samples)[0] * 1e3:.1f} | "
                          f"{(report.empty_call_ms or 0) * 1e3:.2f} | "
                          f"{'-' if wait is None else f'{wait:.0%}'} | "
                          f"{'yes' if wait is not None and wait >= CONTENDED_SHARE else 'no'} |", flush=True)
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()


if __name__ == "__main__":
    main()
