"""Best-of-N: batches, early stopping, every candidate kept; with real faces and dlib similarity."""

from __future__ import annotations

import pytest
from PIL import Image

from ipvg.faces import cosine_similarity, largest_face
from ipvg.identity import best_of_n, candidate_seeds, choose
from ipvg.spatial.base import KeyframeCandidate


def _fake(similarities: list[float | None]):
    calls: list[list[int]] = []

    def generate(seeds: list[int]) -> list[Image.Image]:
        calls.append(list(seeds))
        return [Image.new("RGB", (8, 8), (seed, 0, 0)) for seed in seeds]

    def evaluate(image: Image.Image, seed: int) -> KeyframeCandidate:
        return KeyframeCandidate(image, seed, similarities[seed], face_found=similarities[seed] is not None)

    return generate, evaluate, calls


def test_all_candidates_in_one_batch_without_early_stop() -> None:
    generate, evaluate, calls = _fake([0.2, 0.4, 0.3])
    candidates, chosen = best_of_n(
        candidate_seeds(0, 3), generate, evaluate, batch_size=3, early_stop_similarity=None
    )
    assert calls == [[0, 1, 2]]
    assert [c.similarity for c in candidates] == [0.2, 0.4, 0.3]
    assert chosen == 1


def test_early_stop_between_batches_keeps_scores() -> None:
    generate, evaluate, calls = _fake([0.2, 0.6, 0.9])
    candidates, chosen = best_of_n([0, 1, 2], generate, evaluate, batch_size=1, early_stop_similarity=0.5)
    assert calls == [[0], [1]]
    assert [c.seed for c in candidates] == [0, 1]
    assert chosen == 1


def test_no_face_anywhere_keeps_first_and_faces_beat_none() -> None:
    assert choose([KeyframeCandidate(Image.new("RGB", (2, 2)), s, None) for s in range(3)]) == 0
    mixed = [KeyframeCandidate(Image.new("RGB", (2, 2)), s, sim) for s, sim in enumerate([None, -0.1, None])]
    assert choose(mixed) == 1
    with pytest.raises(ValueError, match="batch_size"):
        best_of_n([0], *_fake([0.1])[:2], batch_size=0, early_stop_similarity=None)


def test_best_of_n_picks_the_same_person_with_real_faces(face_backend, faces) -> None:
    """Candidates are three real photos (two other people and the reference person mirrored)."""
    reference = largest_face(face_backend, faces["id004"])
    pool = {0: faces["id001"], 1: faces["id005"], 2: faces["id004_mirrored"], 3: faces["id001"]}

    def generate(seeds: list[int]) -> list[Image.Image]:
        return [pool[seed] for seed in seeds]

    def evaluate(image: Image.Image, seed: int) -> KeyframeCandidate:
        found = face_backend.detect(image)
        similarity = cosine_similarity(reference.embedding, found[0].embedding) if found else None
        return KeyframeCandidate(image, seed, similarity, face_found=bool(found))

    # dlib's descriptor puts different people ~0.7 cosine apart, so the threshold is dlib-scaled.
    candidates, chosen = best_of_n([0, 1, 2, 3], generate, evaluate, batch_size=2, early_stop_similarity=0.9)
    assert [c.seed for c in candidates] == [0, 1, 2, 3][: len(candidates)]
    assert chosen == 2
    assert len(candidates) == 4  # third candidate's batch also held seed 3
    assert candidates[2].similarity > 0.9 > max(candidates[0].similarity, candidates[1].similarity)


def test_early_stop_threshold_follows_the_face_backend_scale():
    from ipvg.identity import early_stop_threshold

    class Dlib:
        match_threshold = 0.91

    class ArcFace:
        pass

    assert early_stop_threshold(None, Dlib()) == 0.91
    assert early_stop_threshold(None, ArcFace()) == 0.5
    assert early_stop_threshold(0.3, Dlib()) == 0.3
