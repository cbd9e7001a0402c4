"""`none`: the raw prompt for both stages, the coupled baseline the paper ablates against
(arXiv 2507.04705, Table 3 "w/o prompt decoupling")."""

from __future__ import annotations

from ipvg.prompts.base import Windows, make_record
from ipvg.prompts.subject import normalise_subject, subject_from_text
from ipvg.prompts.text import MAX_SOURCE_CHARS, clean_source
from ipvg.types import DecoupledPrompt


class PassthroughBackend:
    """Both prompts are the cleaned user prompt, cut to each encoder's window (with a warning)."""

    name = "none"

    def __init__(self, *, windows: Windows | None = None, max_chars: int = MAX_SOURCE_CHARS) -> None:
        self.windows = windows or Windows()
        self.max_chars = max_chars

    def config_key(self) -> dict[str, object]:
        return {"backend": self.name, "windows": self.windows.describe(), "version": 1}

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt:
        clean = clean_source(prompt, max_chars=self.max_chars)
        subject_phrase = normalise_subject(subject) if subject else subject_from_text(clean.text)
        spatial, spatial_cut = self.windows.fit_spatial([clean.text], [0])
        temporal, temporal_cut = self.windows.fit_temporal(clean.text)
        return make_record(
            prompt,
            spatial,
            temporal,
            subject_phrase,
            self.name,
            [*clean.warnings, *spatial_cut, *temporal_cut],
        )
