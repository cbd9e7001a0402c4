"""The root conftest's CI rule: under `CI=true`, missing data and missing packages fail instead of skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Four tests run in a child pytest that loads the root conftest as a plugin: the skips it must turn
# into failures under CI (missing sample data; a module-level importorskip) and the two it must leave
# alone (a `gpu` test on a machine without one; an xfail).
SAMPLE_DATA_TEST = """
import pytest

def test_needs_sample_data(sample_testset):
    assert sample_testset.is_dir()

@pytest.mark.gpu
def test_gpu_only():
    pytest.skip("no CUDA GPU")

@pytest.mark.xfail(reason="known")
def test_known_failure():
    raise AssertionError
"""
IMPORT_SKIP_TEST = """
import pytest

pytest.importorskip("no_such_module_for_ipvg_tests")

def test_never_runs():
    pass
"""


def _run_child(tmp_path: Path, ci: str | None) -> tuple[int, str]:
    (tmp_path / "test_data.py").write_text(SAMPLE_DATA_TEST)
    (tmp_path / "test_importskip.py").write_text(IMPORT_SKIP_TEST)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["IPVG_SHARED_DATA"] = str(tmp_path / "no-shared-data")  # the data is "missing"
    env["PYTHONPATH"] = str(TESTS)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA", "-q"]
    command.append("--continue-on-collection-errors")  # see every outcome, not only the first error
    result = subprocess.run(
        [*command, str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    return result.returncode, result.stdout + result.stderr


def test_missing_data_fails_under_ci(tmp_path: Path) -> None:
    """Catches: the hook removed or reading the wrong variable (the run passes with skips), collection
    skips not handled (the importorskip file vanishes), or gpu/xfail tests failed wrongly."""
    code, output = _run_child(tmp_path, "true")
    assert code != 0, output
    # a fixture that skips fails at setup: reported as an ERROR of that test
    assert "ERROR test_data.py::test_needs_sample_data" in output, output
    assert "skipped under CI=true" in output and "no-shared-data" in output, output
    assert "ERROR test_importskip.py" in output or "FAILED test_importskip.py" in output, output
    assert "SKIPPED" in output and "no CUDA GPU" in output, output  # gpu skips stay skips
    assert "XFAIL test_data.py::test_known_failure" in output, output


def test_missing_data_skips_outside_ci(tmp_path: Path) -> None:
    """Catches a rule that fails skips everywhere (developers without the data could not run the suite)."""
    code, output = _run_child(tmp_path, None)
    assert code == 0, output
    assert "FAILED" not in output and "ERROR" not in output, output
    assert output.count("SKIPPED") >= 3, output
