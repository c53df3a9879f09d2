"""Settings declared once (harness.common.settings) and built by every front end through `configure`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from harness import TIMING_PROFILES, GradeConfig, SettingsError, configure, grade


def test_configure_takes_names_dotted_names_and_profiles_over_the_defaults():
    config = configure({"device": "cpu", "timeouts.run": 5, "timing": "quick"}, trials=2, cache_dir="/tmp/x")
    assert (config.device, config.trials, config.cache_dir) == ("cpu", 2, Path("/tmp/x"))
    assert config.timeouts.run == 5.0 and config.timeouts.load == GradeConfig().timeouts.load
    assert config.timing == TIMING_PROFILES["quick"]
    tuned = configure({"timing": {"profile": "precise", "max_seconds": 2}})
    assert tuned.timing.max_seconds == 2.0 and tuned.timing.min_calls == TIMING_PROFILES["precise"].min_calls
    assert configure(trials=None, seed=None) == GradeConfig()  # None: not given
    assert configure({"timing.max_seconds": 3, "timing": "quick"}).timing.max_seconds == 3.0  # order does not matter
    with pytest.raises(SettingsError, match="did you mean 'trials'"):
        configure(trails=None)  # a misspelt name is refused even without a value
    assert configure(base=config, trials=4).device == "cpu"


@pytest.mark.parametrize("values, named", [
    ({"trails": 3}, "unknown setting 'trails'; did you mean 'trials'?"),
    ({"timeouts.lod": 3}, "unknown timeouts field 'timeouts.lod'; did you mean 'timeouts.load'?"),
    ({"timing": "fast"}, "unknown timing profile 'fast'"),
    ({"device.x": 1}, "setting 'device' has no part 'x'"),
    ({"trials": "3"}, "setting trials takes int, not '3'"),
    ({"trials": True}, "setting trials takes int, not True"),
    ({"trials": 0}, "trials must be at least 1, not 0"),
    ({"device": "tpu"}, "device must be one of auto, cuda, cpu, not 'tpu'"),
    ({"baseline": "jit"}, "baseline must be one of eager, compile, not 'jit'"),
    ({"min_own_share": 2}, "min_own_share is a share of forward's time"),
    ({"timeouts.run": 0}, "timeouts.run must be above 0"),
    ({"timing.max_calls": 1}, "timing.max_calls must be at least 10"),
])
def test_an_unknown_setting_or_a_bad_value_is_refused_naming_it(values, named):
    with pytest.raises(SettingsError) as refused:
        configure(values)
    assert named in str(refused.value)
    assert refused.value.setting.split(".")[0] in {name.split(".")[0] for name in values}


def test_the_python_api_refuses_a_misspelt_setting_before_grading(tmp_path):
    with pytest.raises(SettingsError, match="did you mean 'sizes'"):
        grade(tmp_path / "nothing.py", sizez="small")


def test_kb_sweep_refuses_a_bad_setting_before_grading_anything(tmp_path):
    results = tmp_path / "results.jsonl"
    done = subprocess.run([sys.executable, "-m", "harness.tools.sweep_app", "device=cpu", "trials=0",
                           f"solutions={ROOT / 'solutions'}", f"problems_dir={ROOT / 'problems'}",
                           f"results={results}", f"hydra.run.dir={tmp_path / 'hydra'}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, env=dict(os.environ))
    assert done.returncode != 0
    assert "trials must be at least 1" in done.stdout + done.stderr
    assert not results.exists()
