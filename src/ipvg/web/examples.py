"""Examples for the web UI: real faces with prompts, one click to load.

They come from the sample test set next to the repository (`../shared/data/vip200k-sample`, the
challenge layout `idNNN/{image.png, promptN.txt}`) and from the repository's own example photo. Where
the sample folder is absent (an installed package, a fresh clone) only the repository's example is
offered, and where that is absent too, none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]  # src/ipvg/web/examples.py -> the repository (editable install)
REPO_EXAMPLE = REPO / "examples" / "astronaut.png"
# Our own words for the repository's photo (skimage's astronaut, Eileen Collins).
REPO_EXAMPLE_PROMPT = (
    "A woman in an orange flight suit smiles, turns her head towards the window of the space shuttle "
    "and waves, as the camera slowly pushes in."
)
SAMPLE_FOLDERS = (REPO.parent / "shared" / "data" / "vip200k-sample", REPO / "shared" / "data" / "vip200k-sample")
EXAMPLES_ENV = "IPVG_EXAMPLES_DIR"  # a folder in the challenge layout, instead of the sample set
IMAGE_NAMES = ("image.png", "image.jpg", "image.webp")


@dataclass(frozen=True)
class Example:
    name: str  # e.g. "id001 · prompt1"
    face: Path
    prompt: str


def sample_folder() -> Path | None:
    override = os.environ.get(EXAMPLES_ENV)
    candidates = (Path(override),) if override else SAMPLE_FOLDERS
    return next((folder for folder in candidates if folder.is_dir()), None)


def find_examples(folder: Path | None = None, repo_example: Path | None = REPO_EXAMPLE) -> list[Example]:
    """One example per identity in `folder` (identity N takes its prompt N, so the prompts differ),
    then the repository's photo."""
    folder = sample_folder() if folder is None else folder
    examples: list[Example] = []
    if folder is not None and folder.is_dir():
        for number, identity in enumerate(sorted(p for p in folder.iterdir() if p.is_dir()), start=1):
            face = next((identity / name for name in IMAGE_NAMES if (identity / name).is_file()), None)
            prompts = sorted(identity.glob("prompt*.txt"))
            if face is None or not prompts:
                continue
            prompt_file = identity / f"prompt{number}.txt"
            if not prompt_file.is_file():
                prompt_file = prompts[0]
            text = " ".join(prompt_file.read_text(encoding="utf-8").split())
            if text:
                examples.append(Example(f"{identity.name} · {prompt_file.stem}", face, text))
    if repo_example is not None and repo_example.is_file():
        examples.append(Example(repo_example.name, repo_example, REPO_EXAMPLE_PROMPT))
    return examples
