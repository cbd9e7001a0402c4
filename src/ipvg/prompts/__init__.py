"""Semantic prompt optimisation (stage 0, arXiv 2507.04705 Sec. 3.1): one prompt -> a spatial
prompt for the first frame and a temporal prompt for the video.

Backends (kind "prompts"): `rules` (offline default), `llm` (local chat model, Qwen3-8B in the
paper), `openai` (an OpenAI-compatible server), `none` (the raw prompt for both, the coupled
baseline). Other stages call `create_prompt_backend(config).decouple(prompt, subject=...)`.
"""

from __future__ import annotations

from typing import Any

from ipvg.registry import BackendSpec

__all__ = [
    "clip_token_count",
    "create_prompt_backend",
    "register",
    "subject_for_gender",
    "subject_from_face",
]

# Option names each backend accepts through `PromptsConfig.options` (others raise ConfigError).
_WINDOW_OPTIONS = (
    "spatial_tokens",
    "temporal_tokens",
    "reserve_spatial_tokens",
    "clip_tokenizer",
    "umt5_tokenizer",
)
_OPTIONS = {
    "rules": ("framing", "max_chars"),
    "none": ("max_chars",),
    "llm": (
        "device",
        "dtype",
        "temperature",
        "top_p",
        "max_new_tokens",
        "seed",
        "allow_download",
        "max_attempts",
        "framing",
    ),
    "openai": (
        "base_url",
        "api_key",
        "timeout_s",
        "max_retries",
        "backoff_s",
        "temperature",
        "top_p",
        "max_tokens",
        "json_mode",
        "disable_thinking",
        "breaker_threshold",
        "max_attempts",
        "framing",
    ),
}


def register(registry: Any) -> None:
    """Register the built-in prompt backends."""
    specs = (
        (
            "rules",
            "create_rules",
            "offline linguistic decoupler: clauses classified, static phrases for the frame",
            (),
            "",
        ),
        (
            "llm",
            "create_llm",
            "local chat model via transformers (paper: Qwen3-8B, thinking off, temperature 0.1)",
            ("transformers", "torch"),
            ("Qwen/Qwen3-8B",),
        ),
        (
            "openai",
            "create_openai",
            "OpenAI-compatible chat server (vLLM, llama.cpp, Ollama); IPVG_OPENAI_BASE_URL",
            ("openai",),
            (),
        ),
        (
            "none",
            "create_none",
            "no decoupling: the raw prompt for both stages (the paper's coupled baseline)",
            (),
            (),
        ),
    )
    for name, factory, summary, requires, weights in specs:
        registry.register(
            BackendSpec(
                kind="prompts",
                name=name,
                target=f"ipvg.prompts.factories:{factory}",
                summary=summary,
                requires=tuple(requires),
                pip_hint="pip install ipvg",
                weights=tuple(weights),
            )
        )


def create_prompt_backend(config: Any = None) -> Any:
    """The prompt backend named by `config.backend` (an `ipvg.config.PromptsConfig`), configured
    with `config.model` and `config.options`; `None` gives the offline `rules` default."""
    from ipvg.config import PromptsConfig
    from ipvg.registry import registry

    config = config or PromptsConfig()
    return registry.create("prompts", config.backend, config=config)


def subject_from_face(image: Any, face_backend: Any) -> str:
    from ipvg.prompts.subject import subject_from_face as implementation

    return implementation(image, face_backend)


def subject_for_gender(gender: str | None) -> str:
    from ipvg.prompts.subject import subject_for_gender as implementation

    return implementation(gender)


def clip_token_count(text: str) -> int:
    """CLIP tokens of `text` with start/end tokens (SDXL reads 77): OpenAI's real BPE offline when
    available (see `ipvg.prompts.clip_vocab`), otherwise a conservative estimate."""
    from ipvg.prompts.clip_vocab import clip_token_count as implementation

    return implementation(text)


def allowed_options(name: str) -> tuple[str, ...]:
    return (*_OPTIONS.get(name, ()), *_WINDOW_OPTIONS)
