from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A small market with every customer mechanism active: unequal offers (competition churn),
# a low complaint threshold (complaints, recovery, negative word of mouth), delight (praise).
ACTIVE = {
    "population.size": 4000,
    "firms.rival_1.offer.product": 0.9,
    "firms.rival_2.offer.service": 0.2,
    "firms.focal.recovery_rate": 0.5,
    "dynamics.complaints.threshold": 0.55,
    "dynamics.wom.positive_probability": 0.3,
    "dynamics.churn.competition": 0.3,
}


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def baseline_path() -> Path:
    return ROOT / "scenarios" / "baseline.yaml"
