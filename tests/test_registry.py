from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from ipvg import weights
from ipvg.errors import MissingDependencyError, UnknownBackendError
from ipvg.registry import ENTRY_POINT_GROUP, BackendSpec, Registry, registry


def test_temporal_backends_registered():
    assert {"wan22-ti2v-5b", "wan22-i2v-a14b", "wan21-i2v-14b", "wan21-i2v-14b-720p"} <= set(
        registry.names("temporal")
    )


def test_unknown_backend_lists_choices():
    with pytest.raises(UnknownBackendError) as caught:
        registry.get("temporal", "sora")
    assert "wan22-ti2v-5b" in str(caught.value)


def test_available_reports_missing_weights_and_packages():
    local = Registry()
    local._loaded = True  # only what this test registers
    local.register(
        BackendSpec(
            kind="faces",
            name="fake",
            target="json:dumps",
            summary="x",
            requires=("no_such_module_xyz",),
            pip_hint="pip install xyz",
        )
    )
    local.register(
        BackendSpec(kind="temporal", name="w", target="json:dumps", summary="y", weights=("nobody/nothing",))
    )
    rows = {row.name: row for row in local.available()}
    assert not rows["fake"].usable and "pip install xyz" in rows["fake"].missing[0]
    assert not rows["w"].usable and "nobody/nothing" in rows["w"].missing[0]
    with pytest.raises(MissingDependencyError, match="pip install xyz"):
        local.create("faces", "fake")


def test_third_party_backend_through_same_mechanism():
    local = Registry()
    local._loaded = True
    local.register(BackendSpec(kind="prompts", name="upper", target="builtins:str", summary="fake"))
    assert local.create("prompts", "upper", object="abc") == "abc"


def test_core_does_not_import_the_test_builders():
    """Catches a module-level `from ipvg.testing import ...` coming back into the core (a cycle)."""
    code = (
        "import sys, ipvg.weights, ipvg.registry, ipvg.config; "
        "assert 'ipvg.testing' not in sys.modules, sorted(m for m in sys.modules if m.startswith('ipvg'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_tiny_models_are_a_weights_source_registered_by_the_testing_plugin():
    """`ipvg-tiny:` comes from `ipvg.testing`'s plugin hook and counts as present (never "missing");
    catches the hook dropped from BUILTIN_PLUGINS or a source that is not marked as built locally."""
    source = weights.weights_source("ipvg-tiny:sdxl")
    assert source is not None and source.builds_locally and source.scheme == "ipvg-tiny:"
    assert source.resolve.__module__ == "ipvg.testing"
    assert weights.describe_missing_weights(("ipvg-tiny:sdxl",)) == []
    assert weights.weights_source("C:/models/x") is None and weights.weights_source("a/b") is None


def _install_fake_plugin(root: Path) -> None:
    """A real installed distribution (dist-info with entry_points.txt) that `importlib.metadata` finds."""
    (root / "ipvg_fake_plugin.py").write_text(
        "from pathlib import Path\n"
        "from ipvg.registry import BackendSpec\n"
        "from ipvg.weights import WeightsSource, register_weights_source\n"
        "def register(registry):\n"
        "    spec = BackendSpec(kind='prompts', name='shout', target='builtins:str', summary='fake')\n"
        "    registry.register(spec)\n"
        "    source = WeightsSource(scheme='fakehub:', resolve=lambda name: Path('/models') / name)\n"
        "    register_weights_source(source)\n"
    )
    dist_info = root / "ipvg_fake_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: ipvg-fake-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nshout = ipvg_fake_plugin:register\nbroken = ipvg_fake_plugin:no_such_hook\n"
    )


def test_entry_point_plugins_register_backends_and_weights_sources(tmp_path, monkeypatch):
    """Through a real `entry_points()` result: a third-party backend and weights source register, and a
    broken plugin is reported without taking the others down. Catches the entry-point loop removed,
    a wrong group name, or one failing hook aborting registration."""
    _install_fake_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(weights, "_SOURCES", dict(weights._SOURCES))  # undo the fake source afterwards
    names = {entry.name for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert {"shout", "broken"} <= names  # the fixture really is an installed distribution
    local = Registry()
    assert "shout" in local.names("prompts") and "wan22-ti2v-5b" in local.names("temporal")
    assert any("broken" in error for error in local.plugin_errors)
    assert weights.resolve_model("fakehub:abc") == str(Path("/models") / "abc")


def test_tiny_ids_without_the_testing_plugin_say_so(monkeypatch):
    """Without the `ipvg-tiny:` source (a build without `ipvg.testing`) the id is a clear
    WeightsNotFoundError, not "neither a path nor a hub id" nor an ImportError."""
    from ipvg.errors import WeightsNotFoundError

    registry.load_plugins()
    monkeypatch.setattr(weights, "_SOURCES", {})
    with pytest.raises(WeightsNotFoundError, match="weights source is not registered"):
        weights.resolve_model("ipvg-tiny:sdxl")
