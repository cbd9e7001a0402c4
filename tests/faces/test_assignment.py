"""Two people: first-frame face assignment, optimal matching of frame faces to people, per-person scores.

Faces are planted (`ipvg.testing.planted_faces`), so the backend really finds them in the frames."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from ipvg.faces.assignment import (
    assign_left_to_right,
    best_assignment,
    people_identity,
    people_order,
)
from ipvg.identity import identity_similarity
from ipvg.testing.planted_faces import PlantedFaceBackend, blend, code_similarity, identity_code, plant_face

ALICE, BOB, CAROL = identity_code(1), identity_code(2), identity_code(3)


def _frame(*faces: tuple[np.ndarray, tuple[int, int, int, int]], size=(96, 160)) -> Image.Image:
    pixels = np.full((*size, 3), 90, np.uint8)
    for code, box in faces:
        pixels = plant_face(pixels, code, box)
    return Image.fromarray(pixels)


def _reference(code: np.ndarray):
    return PlantedFaceBackend().detect(_frame((code, (10, 10, 42, 42))))[0]


def test_planted_backend_finds_and_embeds_faces():
    # The fake must really read the pixels: same code -> cosine 1, other codes -> their code cosine.
    backend = PlantedFaceBackend()
    found = backend.detect(_frame((ALICE, (100, 20, 140, 60)), (BOB, (10, 30, 34, 54))))
    assert [f.box_xyxy for f in found] == [(100, 20, 140, 60), (10, 30, 34, 54)]  # largest first
    a, b = _reference(ALICE), _reference(BOB)
    assert float(found[0].embedding @ a.embedding) == pytest.approx(1.0, abs=1e-6)
    assert float(found[1].embedding @ a.embedding) == pytest.approx(code_similarity(BOB, ALICE), abs=1e-6)
    assert float(found[1].embedding @ b.embedding) == pytest.approx(1.0, abs=1e-6)


def test_left_to_right_in_reference_order():
    # Catches: assigning by size (the right face is larger here) or by detection order.
    faces = PlantedFaceBackend().detect(_frame((ALICE, (100, 20, 140, 60)), (BOB, (10, 30, 34, 54))))
    assigned, warnings = assign_left_to_right(faces, [0, 1])
    assert [f.box_xyxy[0] for f in assigned] == [10, 100] and warnings == []
    # The prompt names person 1 first: person 1 gets the left face.
    assigned, _ = assign_left_to_right(faces, [1, 0])
    assert [f.box_xyxy[0] for f in assigned] == [100, 10]


def test_only_the_largest_faces_are_assigned_and_missing_faces_warn():
    faces = PlantedFaceBackend().detect(
        _frame((ALICE, (4, 10, 18, 24)), (BOB, (40, 20, 80, 60)), (CAROL, (100, 20, 136, 56)))
    )
    assigned, _ = assign_left_to_right(faces, [0, 1])
    assert [f.box_xyxy[0] for f in assigned] == [40, 100]  # the small face at x=4 is a bystander
    assigned, warnings = assign_left_to_right(faces[:1], [0, 1])
    assert assigned[1] is None and "person 2 has no face" in warnings[0]


@pytest.mark.parametrize(
    ("prompt", "genders", "order"),
    [
        ("A man and a woman sit on a bench", ["female", "male"], [1, 0]),
        ("A woman hands a cup to a man", ["female", "male"], [0, 1]),
        ("Two people talk", ["female", "male"], [0, 1]),  # prompt names no one: given order
        ("A man and a woman talk", ["male", "male"], [0, 1]),  # genders cannot tell them apart
        ("A man and a woman talk", [None, "male"], [0, 1]),
    ],
)
def test_people_order(prompt, genders, order):
    assert people_order(prompt, genders)[0] == order


def test_best_assignment_is_optimal_not_greedy():
    # Greedy (each person takes their best face) gives person 0 face 0 (0.9) and person 1 face 1 (0.1):
    # total 1.0; the optimum is 0.8 + 0.85 = 1.65.
    similarity = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert best_assignment(similarity) == [1, 0]
    rng = np.random.default_rng(0)
    for people, faces in [(2, 3), (3, 2), (3, 3), (1, 4)]:
        matrix = rng.random((people, faces))
        result = best_assignment(matrix)
        total = sum(matrix[p, f] for p, f in enumerate(result) if f is not None)
        best = max(
            sum(matrix[p, f] for p, f in enumerate(perm) if p < people and f < faces)
            for perm in itertools.permutations(range(max(people, faces)))
        )
        assert total == pytest.approx(best)
        assert sum(f is not None for f in result) == min(people, faces)
        assert len({f for f in result if f is not None}) == min(people, faces)


def test_per_person_scores_follow_people_not_positions():
    # The two people swap sides in frame 1 and Bob drifts towards Carol in frame 2; each person's score
    # must follow their own face. Catches: scoring the largest face for everyone, or matching by position.
    alice, bob = _reference(ALICE), _reference(BOB)
    drifted = blend(BOB, CAROL, 0.5)
    frames = [
        (0, _frame((ALICE, (10, 20, 50, 60)), (BOB, (100, 20, 140, 60)))),
        (4, _frame((BOB, (10, 20, 50, 60)), (ALICE, (100, 20, 140, 60)))),
        (8, _frame((ALICE, (10, 20, 50, 60)), (drifted, (100, 20, 140, 60)))),
        (12, _frame((ALICE, (10, 20, 50, 60)))),  # Bob left the frame
    ]
    backend = PlantedFaceBackend()
    identity = people_identity([alice, bob], frames, backend.detect, identity_similarity)
    assert identity.frame_indices == [0, 4, 8, 12]
    alice_scores, bob_scores = identity.per_person
    assert alice_scores == pytest.approx([1.0, 1.0, 1.0, 1.0], abs=1e-6)
    assert bob_scores[:2] == pytest.approx([1.0, 1.0], abs=1e-6)
    expected = max(0.0, code_similarity(drifted, BOB))
    assert bob_scores[2] == pytest.approx(expected, abs=1e-6) and bob_scores[2] < 0.99
    assert bob_scores[3] is None
    assert identity.means[1] == pytest.approx(np.mean(bob_scores[:3]))
    record = identity.to_dict()
    assert [p["person"] for p in record["per_person"]] == [0, 1]
