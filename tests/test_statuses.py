"""Every shipped CPU solution keeps the status recorded for it (bench/statuses.json), graded through `kb grade`."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_every_shipped_cpu_solution_keeps_its_recorded_status(cache_dir):
    import os

    done = subprocess.run([sys.executable, "bench/statuses.py", "--device", "cpu", "--expect", "bench/statuses.json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=1800,
                          env=dict(os.environ, KB_CACHE_DIR=str(cache_dir)))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert " 0 differ" in done.stdout.splitlines()[-1], done.stdout
