"""The engine in special configurations reproduces closed-form marketing-science models."""

from __future__ import annotations

import numpy as np

from sim import validation as v


def _clv_standard_error(m: float, r: float, i: float, periods: int, n: int) -> float:
    x = 1.0 / (1.0 + i)
    lives = np.arange(periods + 1)  # periods survived
    prob = np.where(lives < periods, r**lives * (1.0 - r), r**periods)
    value = m * x * (1.0 - x**lives) / (1.0 - x)
    mean = (prob * value).sum()
    return float(np.sqrt(((prob * value**2).sum() - mean**2) / n))


def test_constant_retention_clv_matches_gupta_lehmann():
    m, r, i, periods, n = 10.0, 0.8, 0.1, 60, 20_000
    measured = v.clv_constant_retention(m, r, i, n, periods, seed=1)
    expected = v.clv_closed_form(m, r, i, periods)
    assert abs(expected - v.clv_closed_form(m, r, i)) < 1e-3  # 60 periods ~ the infinite horizon
    assert abs(measured - expected) < 4 * _clv_standard_error(m, r, i, periods, n)


def test_sbg_survival_within_three_standard_errors_and_refits():
    a, b, n = 0.704, 1.182, 100_000  # Fader & Hardie (2007) "regular" cohort
    s = v.sbg_survival(a, b, n, 12, seed=3)
    c = v.sbg_survival_closed_form(a, b, 12)
    se = np.sqrt(c * (1 - c) / n)
    assert s[0] == 1.0 and np.all(np.abs(s[1:] - c[1:]) < 3 * se[1:])
    fa, fb = v.sbg_fit(s)
    assert abs(fa / a - 1) < 0.05 and abs(fb / b - 1) < 0.05


def test_sbg_projection_of_the_published_cohort():
    observed = np.array([100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]) / 100  # years 0-7
    a, b = v.sbg_fit(observed)
    projected = v.sbg_survival_closed_form(a, b, 12)[8:] * 100
    assert np.all(np.abs(projected - [22.3, 20.7, 19.4, 18.3, 17.3]) < 0.5)
