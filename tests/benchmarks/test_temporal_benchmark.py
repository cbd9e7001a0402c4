"""The GPU benchmark's code path, run on a scaled-down architecture so the script cannot rot
unnoticed between GPU sessions (no timing is asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "temporal.py"


def test_real_size_path_runs_on_the_smoke_architecture():
    spec = importlib.util.spec_from_file_location("temporal_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    payload = module.bench_real(
        "smoke", repeats=1, attention_backends=["native", "no-such-backend"], compile_=False
    )
    native, missing = payload["rows"]
    assert (
        native["median_s"] > 0 and native["tflops_achieved"] > 0 and 0 < native["fraction_of_measured_peak"]
    )
    assert "error" in missing
    assert payload["seq_len"] == 3 * 2 * 3  # 9 frames -> 3 latent; 64x96 / 16 / 2 -> 2x3
