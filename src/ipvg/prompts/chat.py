"""What the two chat-model backends (`llm`, `openai`) share: the two-step exchange, validation,
bounded retries, window fitting and the fallback to `rules`.

Subclasses implement `_chat(messages, attempt) -> str` only; they raise `ChatUnavailable` when the
model cannot answer at all (weights missing, server down), which skips the remaining attempts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from ipvg.prompts.base import Windows, make_record
from ipvg.prompts.contract import (
    ContractError,
    Messages,
    parse_field,
    spatial_messages,
    temporal_messages,
    validate_spatial,
    validate_temporal,
)
from ipvg.prompts.finish import finish_spatial, finish_temporal
from ipvg.prompts.rules import RulesBackend
from ipvg.prompts.subject import normalise_subject, subject_from_text
from ipvg.prompts.text import MAX_SOURCE_CHARS, clean_source
from ipvg.types import DecoupledPrompt

logger = logging.getLogger(__name__)


class ChatUnavailable(RuntimeError):
    """The chat model cannot answer (no weights, no server, HTTP error after retries)."""


class _GiveUp(Exception):
    pass


class ChatDecoupler:
    """Two-step decoupling through a chat model, validated, with `rules` as the safety net."""

    name = "chat"

    def __init__(
        self,
        *,
        max_attempts: int = 3,
        framing: str = "close-up",
        windows: Windows | None = None,
        max_chars: int = MAX_SOURCE_CHARS,
    ) -> None:
        if max_attempts < 1:
            from ipvg.errors import ConfigError

            raise ConfigError(f"`max_attempts` must be >= 1, got {max_attempts!r}.")
        self.max_attempts = max_attempts
        self.framing = framing
        self.windows = windows or Windows()
        self.max_chars = max_chars
        self.fallback = RulesBackend(framing=framing, windows=self.windows, max_chars=max_chars)

    # Subclasses -------------------------------------------------------------------------------
    def _chat(self, messages: Messages, attempt: int) -> str:
        raise NotImplementedError

    def _settings(self) -> dict[str, object]:
        return {}

    # Interface --------------------------------------------------------------------------------
    def config_key(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "framing": self.framing,
            "max_attempts": self.max_attempts,
            "windows": self.windows.describe(),
            "version": 1,
            **self._settings(),
        }

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt:
        # 1. Clean the prompt and settle the subject phrase (raises PromptError when unusable).
        clean = clean_source(prompt, max_chars=self.max_chars)
        subject_phrase = normalise_subject(subject) if subject else subject_from_text(clean.text)
        warnings = list(clean.warnings)
        try:
            # 2. Temporal prompt from the user prompt (official step 1).
            temporal = self._ask(
                temporal_messages(clean.text, subject_phrase),
                "temporal",
                lambda text: validate_temporal(
                    text, source=f"{clean.text} {subject_phrase}", subject=subject_phrase
                ),
                warnings,
            )
            # 3. Spatial prompt extracted from the temporal prompt (official step 2).
            spatial = self._ask(
                spatial_messages(temporal, subject_phrase, self.framing),
                "spatial",
                lambda text: validate_spatial(
                    text, source=f"{temporal} {self.framing}", subject=subject_phrase
                ),
                warnings,
            )
        except _GiveUp as reason:
            return self._fall_back(prompt, clean.text, subject, warnings, str(reason))
        # 4. The checks every backend shares: subject first, static whole phrases, the prompt's own
        #    framing last, 77 CLIP tokens (see `ipvg.prompts.finish`).
        spatial, spatial_cut = finish_spatial(
            spatial, subject=subject_phrase, source=clean.text, default_framing=self.framing, windows=self.windows
        )
        temporal, temporal_cut = finish_temporal(temporal, subject=subject_phrase, windows=self.windows)
        return make_record(
            prompt, spatial, temporal, subject_phrase, self.name, warnings + spatial_cut + temporal_cut
        )

    def _ask(self, messages: Messages, key: str, validate: Callable[[str], str], warnings: list[str]) -> str:
        reasons: list[str] = []
        try:
            for attempt in range(self.max_attempts):
                try:
                    return validate(parse_field(self._chat(messages, attempt), key))
                except ChatUnavailable as error:
                    raise _GiveUp(str(error)) from None
                except ContractError as error:
                    logger.info("%s: %s answer %d rejected: %s", self.name, key, attempt + 1, error)
                    reasons.append(str(error))
            raise _GiveUp(f"no valid {key} prompt after {self.max_attempts} attempt(s)")
        finally:
            if reasons:  # kept even when a later attempt succeeded: the record says what was retried
                warnings.append(f"`{self.name}` {key} answers rejected: {'; '.join(dict.fromkeys(reasons))}")

    def _fall_back(
        self, prompt: str, text: str, subject: str | None, warnings: list[str], reason: str
    ) -> DecoupledPrompt:
        record = self.fallback.decouple(text, subject=subject)
        note = f"`{self.name}` backend failed ({reason}); the `rules` backend decoupled this prompt instead"
        return dataclasses.replace(
            record,
            source=prompt,
            backend=f"rules (fallback from {self.name})",
            warnings=tuple(dict.fromkeys([*warnings, note, *record.warnings])),
        )
