"""Metric maths against independent computations (scipy, explicit loops) on random data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from ipvg.eval import maths
from ipvg.faces import cosine_similarity


def scipy_frechet(mu1, sigma1, mu2, sigma2):
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frechet_distance_matches_scipy_sqrtm(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(40, 8)), rng.normal(0.5, 2.0, size=(30, 8)) @ rng.normal(size=(8, 8))
    mu1, sigma1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, sigma2 = b.mean(0), np.cov(b, rowvar=False)
    expected = scipy_frechet(mu1, sigma1, mu2, sigma2)
    assert maths.frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-8)
    assert maths.fid_from_features(a, b) == pytest.approx(expected, rel=1e-8)
    assert maths.fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)


def test_single_sample_fid_is_squared_distance():
    # The challenge scorer repeats the one sample, so covariances vanish and FID = ||f1 - f2||^2.
    rng = np.random.default_rng(3)
    f1, f2 = rng.normal(size=(1, 64)), rng.normal(size=(1, 64))
    assert maths.fid_from_features(f1, f2) == pytest.approx(float(((f1 - f2) ** 2).sum()), rel=1e-10)
    with pytest.raises(ValueError, match="2-D"):
        maths.activation_statistics(np.zeros(3))


def test_cosine_clamping_and_aggregation():
    rng = np.random.default_rng(4)
    reference = rng.normal(size=16)
    frames = [rng.normal(size=16) for _ in range(10)] + [-reference]
    expected = [max(0.0, float(f @ reference / np.sqrt((f @ f) * (reference @ reference)))) for f in frames]
    got = [max(0.0, maths.cosine(reference, f)) for f in frames]
    assert got == pytest.approx(expected)
    assert got[-1] == 0.0 and maths.cosine(reference, -reference) == pytest.approx(-1.0)
    assert maths.cosine(reference, np.zeros(16)) == 0.0
    # eval must use the project's one cosine, not a second copy of it (issue 15).
    assert maths.cosine is cosine_similarity
    per_frame = [got[0], None, got[1], None]
    assert maths.mean_over_present(per_frame) == pytest.approx((got[0] + got[1]) / 2)
    assert maths.missing_share(per_frame) == 0.5
    assert maths.mean_over_present([None, None]) is None and maths.missing_share([]) == 0.0


def test_clip_score_is_100_cosine_mean_clamped():
    rng = np.random.default_rng(5)
    images, text = rng.normal(size=(4, 12)), rng.normal(size=12)
    unit = images / np.linalg.norm(images, axis=1, keepdims=True)
    expected = 100 * unit @ (text / np.linalg.norm(text))
    value, per_frame = maths.clip_score(images, text)
    assert per_frame == pytest.approx(expected.tolist())
    assert value == pytest.approx(max(0.0, expected.mean()))
    assert maths.clip_score(images, -images[0])[0] >= 0.0


def test_first_place_overall_needs_every_input():
    scores = {
        "gme": 0.6,
        "facesim-cur": 0.5,
        "facesim-arc": 0.4,
        "motion-smoothness": 0.99,
        "imaging-quality": 0.7,
    }
    assert maths.first_place_overall(scores) == pytest.approx(
        0.3 * 0.6 + 0.2 * (0.5 + 0.4) + 0.15 * (0.99 + 0.7)
    )
    assert maths.first_place_overall({**scores, "gme": None}) is None
    assert maths.first_place_overall({"facesim-arc": 0.4}) is None


def test_summarise():
    summary = maths.summarise([1.0, None, 3.0])
    assert summary == {"mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0, "count": 2}
    assert maths.summarise([None])["count"] == 0
