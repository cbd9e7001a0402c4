from __future__ import annotations

import pytest

from ipvg.errors import MissingDependencyError, UnknownBackendError
from ipvg.registry import BackendSpec, Registry, registry


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
