"""Backends chosen by name.

Every backend (temporal, spatial, faces, prompts, metrics) is registered as a `BackendSpec`
through one mechanism: a plugin module's `register(registry)` hook (the same hooks register weights
sources with `ipvg.weights.register_weights_source`). Built-in plugins are listed in
`BUILTIN_PLUGINS`; third-party packages add theirs through the `ipvg.plugins` entry-point group.
Heavy imports happen only when a backend is created, never at registration.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from ipvg.errors import MissingDependencyError, UnknownBackendError

if TYPE_CHECKING:  # the stage contracts, so `create` is typed per kind without importing any stage
    from ipvg.eval.context import Metric
    from ipvg.faces.base import FaceBackend
    from ipvg.prompts.base import PromptBackend
    from ipvg.spatial.base import SpatialBackend
    from ipvg.temporal.base import TemporalBackend

logger = logging.getLogger(__name__)

KINDS = ("temporal", "spatial", "faces", "prompts", "metrics")

BUILTIN_PLUGINS = (
    "ipvg.temporal",
    "ipvg.spatial",
    "ipvg.faces",
    "ipvg.prompts",
    "ipvg.eval",
    "ipvg.testing",  # registers the `ipvg-tiny:` weights source (no backends)
)

ENTRY_POINT_GROUP = "ipvg.plugins"


@dataclass(frozen=True)
class BackendSpec:
    """How to build one backend, and what it needs."""

    kind: str
    name: str
    target: str  # "package.module:factory", imported lazily
    summary: str
    requires: tuple[str, ...] = ()  # importable module names
    pip_hint: str = ""  # what to install when `requires` is missing
    weights: tuple[str, ...] = ()  # default model ids or local paths

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert ":" in self.target, self.target


@dataclass(frozen=True)
class Availability:
    kind: str
    name: str
    usable: bool
    missing: tuple[str, ...]
    summary: str


class Registry:
    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], BackendSpec] = {}
        self._loaded = False
        self.plugin_errors: list[str] = []

    def register(self, spec: BackendSpec) -> BackendSpec:
        self._specs[(spec.kind, spec.name)] = spec
        return spec

    def load_plugins(self) -> None:
        """Run every plugin's `register` hook once (built-ins, then the `ipvg.plugins` entry points)."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module_name in BUILTIN_PLUGINS:
            if importlib.util.find_spec(module_name) is None:
                continue
            hook = getattr(importlib.import_module(module_name), "register", None)
            if hook is not None:  # a package without a hook (e.g. an empty namespace) registers nothing
                hook(self)
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            # A broken third-party plugin must not take the built-in backends down with it.
            try:
                hook: Callable[[Registry], None] = entry_point.load()
                hook(self)
            except Exception as error:
                self.plugin_errors.append(
                    f"plugin `{entry_point.name}` ({entry_point.value}) failed to load: {error}"
                )
                logger.warning(self.plugin_errors[-1])

    def names(self, kind: str) -> list[str]:
        self._ensure_loaded()
        return sorted(name for (k, name) in self._specs if k == kind)

    def specs(self, kind: str | None = None) -> list[BackendSpec]:
        self._ensure_loaded()
        return [s for (k, _), s in sorted(self._specs.items()) if kind is None or k == kind]

    def get(self, kind: str, name: str) -> BackendSpec:
        self._ensure_loaded()
        try:
            return self._specs[(kind, name)]
        except KeyError:
            known = ", ".join(self.names(kind)) or "none"
            raise UnknownBackendError(
                f"Unknown {kind} backend `{name}`.",
                f"choose one of: {known} (see `ipvg backends`).",
            ) from None

    @overload
    def create(self, kind: Literal["spatial"], name: str, **kwargs: Any) -> SpatialBackend: ...
    @overload
    def create(self, kind: Literal["temporal"], name: str, **kwargs: Any) -> TemporalBackend: ...
    @overload
    def create(self, kind: Literal["faces"], name: str, **kwargs: Any) -> FaceBackend: ...
    @overload
    def create(self, kind: Literal["prompts"], name: str, **kwargs: Any) -> PromptBackend: ...
    @overload
    def create(self, kind: Literal["metrics"], name: str, **kwargs: Any) -> Metric: ...
    def create(self, kind: str, name: str, **kwargs: Any) -> Any:
        """The backend `name` of `kind`, built by its factory; typed as that kind's stage Protocol."""
        spec = self.get(kind, name)
        missing = missing_packages(spec.requires)
        if missing:
            raise MissingDependencyError(
                f"The {kind} backend `{name}` needs the Python package(s) {', '.join(missing)}.",
                spec.pip_hint or f"pip install {' '.join(missing)}",
            )
        module_name, attr = spec.target.split(":")
        factory = getattr(importlib.import_module(module_name), attr)
        return factory(**kwargs)

    def available(self, kind: str | None = None) -> list[Availability]:
        """Which backends are usable here, and for the others what is missing."""
        from ipvg.models import missing_weights  # knows insightface packs and weights used indirectly

        result = []
        for spec in self.specs(kind):
            missing = [
                f"package `{m}` ({spec.pip_hint or 'pip install ' + m})"
                for m in missing_packages(spec.requires)
            ]
            missing += missing_weights(spec.kind, spec.name, spec.weights)
            result.append(Availability(spec.kind, spec.name, not missing, tuple(missing), spec.summary))
        return result


def missing_packages(modules: Iterable[str]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


registry = Registry()
