"""Several people in one video: which detected face is which person, and each person's identity score.

- In the first frame, each person's face is chosen by position: the largest `num_people` faces,
  taken left to right, go to the people in the order the prompt names them ("a man and a woman":
  the man first, when the reference faces' genders tell which is which), else in the order the
  references were given (`--face A --face B`: A is the leftmost).
- In video frames, faces are matched to people by the assignment with the highest total
  similarity (the optimal assignment problem). For a handful of people an exhaustive search over
  permutations is exact and needs no dependency (3 people x 4 faces: 24 permutations); scipy's
  `linear_sum_assignment` is used beyond that when it is installed.

Shape legend: P people, F faces found in one frame.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ipvg.errors import MissingDependencyError
from ipvg.faces.base import Face
from ipvg.words import FEMALE_WORDS, MALE_WORDS  # the decoupler reads the same lists (tests/test_words.py)

Similarity = Callable[[Face, Face], float | None]  # (reference, found face) -> similarity or None
MAX_BRUTE_FORCE_PERMUTATIONS = 40_320  # 8!: exhaustive search stays under ~0.1 s
_WORD = re.compile(r"[a-z]+")


def people_order(prompt: str, genders: Sequence[str | None]) -> tuple[list[int], str]:
    """Person indices in the order the prompt names them, and how that order was decided.

    The prompt's gendered words ("a man and a woman", "she ... her husband") give an order when
    every reference face has a known, different gender; otherwise the references' own order.
    """
    given = list(range(len(genders)))
    known = [g.lower() if g else None for g in genders]
    if len(genders) < 2 or None in known or len(set(known)) != len(known):
        return given, "the order of the reference faces"
    first_mention: dict[str, int] = {}
    for position, word in enumerate(_WORD.findall(prompt.lower())):
        gender = "female" if word in FEMALE_WORDS else "male" if word in MALE_WORDS else None
        if gender is not None:
            first_mention.setdefault(gender, position)
    if not all(g in first_mention for g in known):
        return given, "the order of the reference faces"
    ordered = sorted(given, key=lambda person: first_mention[known[person]])  # type: ignore[index]
    return ordered, "the order the prompt names them"


def assign_left_to_right(faces: Sequence[Face], order: Sequence[int]) -> tuple[list[Face | None], list[str]]:
    """Each person's face in a first frame: the `len(order)` largest faces sorted left to right, the
    k-th from the left to person `order[k]`. A person without a face gets None (and a warning)."""
    num_people = len(order)
    largest = sorted(faces, key=lambda face: -face.area)[:num_people]
    left_to_right = sorted(largest, key=lambda face: (face.box_xyxy[0] + face.box_xyxy[2]) / 2)
    assigned: list[Face | None] = [None] * num_people
    for face, person in zip(left_to_right, order, strict=False):  # fewer faces: later people get none
        assigned[person] = face
    warnings = []
    if len(faces) < num_people:
        missing = [str(person + 1) for person, face in enumerate(assigned) if face is None]
        warnings.append(
            f"{len(faces)} face(s) found for {num_people} people; person {', '.join(missing)} has no face "
            "in the first frame. Say in the prompt that there are two people (e.g. 'two people')."
        )
    return assigned, warnings


def best_assignment(similarity_PF: np.ndarray) -> list[int | None]:
    """For each person (row), the face (column) matched to them by the assignment that maximises the
    total similarity, each face used once; None for people left without a face (P > F)."""
    num_people, num_faces = similarity_PF.shape
    if num_people == 0 or num_faces == 0:
        return [None] * num_people
    matched = min(num_people, num_faces)
    permutations = math.perm(max(num_people, num_faces), matched)
    if permutations > MAX_BRUTE_FORCE_PERMUTATIONS:
        return _scipy_assignment(similarity_PF)
    best: list[int | None] = [None] * num_people
    best_total = -math.inf
    if num_people <= num_faces:
        for faces in itertools.permutations(range(num_faces), num_people):
            total = float(sum(similarity_PF[p, f] for p, f in enumerate(faces)))
            if total > best_total + 1e-12:
                best_total, best = total, list(faces)
    else:
        for people in itertools.permutations(range(num_people), num_faces):
            total = float(sum(similarity_PF[p, f] for f, p in enumerate(people)))
            if total > best_total + 1e-12:
                best_total, best = total, [None] * num_people
                for f, p in enumerate(people):
                    best[p] = f
    return best


def _scipy_assignment(similarity_PF: np.ndarray) -> list[int | None]:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise MissingDependencyError(
            f"Matching {similarity_PF.shape[0]} people to {similarity_PF.shape[1]} faces needs scipy.",
            "pip install 'ipvg[eval]' (scipy), or score fewer people.",
        ) from None
    rows, columns = linear_sum_assignment(similarity_PF, maximize=True)
    result: list[int | None] = [None] * similarity_PF.shape[0]
    for row, column in zip(rows, columns, strict=True):
        result[int(row)] = int(column)
    return result


def similarity_matrix(
    references: Sequence[Face], faces: Sequence[Face], similarity: Similarity
) -> np.ndarray:
    """`similarity(reference, face)` of each reference (row) with each found face (column) (the
    pipeline passes FaceSim, `ipvg.identity.identity_similarity`); -1 where it is None (a face
    without an embedding), so such a face is matched last."""
    matrix = np.full((len(references), len(faces)), -1.0)
    for p, reference in enumerate(references):
        for f, face in enumerate(faces):
            value = similarity(reference, face)
            if value is not None:
                matrix[p, f] = value
    return matrix


@dataclass(frozen=True)
class PeopleIdentity:
    """Per-person identity over sampled frames: `per_person[p][k]` for frame `frame_indices[k]`
    (None where person p had no face matched)."""

    frame_indices: list[int]
    per_person: list[list[float | None]]

    @property
    def means(self) -> list[float | None]:
        result: list[float | None] = []
        for scores in self.per_person:
            present = [s for s in scores if s is not None]
            result.append(float(np.mean(present)) if present else None)
        return result

    def to_dict(self) -> dict[str, object]:
        return {
            "frame_indices": self.frame_indices,
            "per_person": [
                {"person": p, "per_frame": scores, "mean": mean}
                for p, (scores, mean) in enumerate(zip(self.per_person, self.means, strict=True))
            ],
        }


def people_identity(
    references: Sequence[Face],
    frames: Iterable[tuple[int, Image.Image]],
    detect: Callable[[Image.Image], list[Face]],
    similarity: Similarity,
) -> PeopleIdentity:
    """Identity of each person in each (index, frame): faces found by `detect`, matched to people by
    the optimal assignment, each matched face's `similarity` to its person."""
    indices: list[int] = []
    per_person: list[list[float | None]] = [[] for _ in references]
    for index, frame in frames:
        faces = [face for face in detect(frame) if face.embedding is not None]
        similarity_PF = similarity_matrix(references, faces, similarity)
        assignment = best_assignment(similarity_PF)
        indices.append(index)
        for person, face_index in enumerate(assignment):
            per_person[person].append(
                None if face_index is None else float(similarity_PF[person, face_index])
            )
    return PeopleIdentity(indices, per_person)
