"""The torch-free recipe table (`ipvg.temporal.recipes`) is the one every video backend runs and every
weight check reads. Wrong code this catches: a backend keeping its own copy of a recipe (the two drift
apart: preflight then asks for one model and the backend loads another), a new backend registered
without a recipe, or registration listing another recipe's weights."""

from __future__ import annotations

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.registry import registry
from ipvg.temporal.recipes import RECIPES


def test_every_temporal_backend_runs_and_declares_its_table_recipe():
    names = registry.names("temporal")
    assert set(names) == set(RECIPES), "each registered video backend has exactly one recipe here"
    for name in names:
        backend = registry.create("temporal", name, config=TemporalConfig(backend=name), runtime=RuntimeConfig())
        assert backend.recipe is RECIPES[name], name  # the same object, not a copy that could drift
        assert backend.pipe is None  # created, not loaded: this test needs no weights
        assert registry.get("temporal", name).weights == (RECIPES[name].model,), name
