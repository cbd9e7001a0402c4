"""Registry factories: `PromptsConfig` -> a configured prompt backend (nothing loads yet)."""

from __future__ import annotations

from typing import Any

from ipvg.config import PromptsConfig, parse_kwargs
from ipvg.errors import ConfigError
from ipvg.prompts.base import Windows


def _split_options(config: PromptsConfig, name: str) -> tuple[dict[str, Any], Windows]:
    from ipvg.prompts import _WINDOW_OPTIONS, allowed_options

    options = dict(config.options)
    unknown = sorted(set(options) - set(allowed_options(name)))
    if unknown:
        raise ConfigError(
            f"Unknown option(s) for the `{name}` prompt backend: {', '.join(unknown)}.",
            f"allowed: {', '.join(allowed_options(name))}.",
        )
    window_kwargs = {key: options.pop(key) for key in _WINDOW_OPTIONS if key in options}
    for key in ("spatial_tokens", "temporal_tokens", "reserve_spatial_tokens"):
        if key in window_kwargs and not isinstance(window_kwargs[key], int):
            raise ConfigError(f"`prompts.options.{key}` must be an integer, got {window_kwargs[key]!r}.")
    windows = Windows(**window_kwargs)
    if windows.spatial_tokens - windows.reserve_spatial_tokens < 8 or windows.temporal_tokens < 16:
        raise ConfigError(
            "The prompt token windows are too small.", "leave at least 8 CLIP and 16 UMT5 tokens."
        )
    return options, windows


def create_rules(config: PromptsConfig | None = None) -> Any:
    from ipvg.prompts.rules import RulesBackend

    options, windows = _split_options(config or PromptsConfig(backend="rules"), "rules")
    return RulesBackend(windows=windows, **parse_kwargs(options, RulesBackend, "prompts.options"))


def create_none(config: PromptsConfig | None = None) -> Any:
    from ipvg.prompts.passthrough import PassthroughBackend

    options, windows = _split_options(config or PromptsConfig(backend="none"), "none")
    return PassthroughBackend(windows=windows, **parse_kwargs(options, PassthroughBackend, "prompts.options"))


def create_llm(config: PromptsConfig | None = None) -> Any:
    from ipvg.prompts.llm import DEFAULT_MODEL, LocalChatBackend

    config = config or PromptsConfig(backend="llm")
    options, windows = _split_options(config, "llm")
    options = parse_kwargs(options, LocalChatBackend, "prompts.options")
    return LocalChatBackend(config.model or DEFAULT_MODEL, windows=windows, **options)


def create_openai(config: PromptsConfig | None = None) -> Any:
    from ipvg.prompts.openai_server import OpenAIChatBackend

    config = config or PromptsConfig(backend="openai")
    options, windows = _split_options(config, "openai")
    options = parse_kwargs(options, OpenAIChatBackend, "prompts.options")
    return OpenAIChatBackend(config.model, windows=windows, **options)
