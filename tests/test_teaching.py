"""The classroom exercises of docs/teaching.md: each runs headless and shows what the text says.
Exercises 2, 4 and 5 (bonds D3/M7, employees M8, a stopped programme M6) are tested in test_markets.py."""

from __future__ import annotations

import re
from pathlib import Path

from sim import RelationshipMarket

ROOT = Path(__file__).resolve().parents[1]


def _focal(path: str, seed: int = 1, firm: str = "focal", **over):
    m = RelationshipMarket(ROOT / path, rng=seed, overrides=over or None)
    m.run()
    ts = m.timeseries()
    return ts[(ts["firm"] == firm) & (ts["step"] > 0)].reset_index(drop=True)


def test_every_exercise_names_files_that_exist():
    text = (ROOT / "docs" / "teaching.md").read_text()
    files = set(re.findall(r"(?:scenarios|experiments)/[\w_]+\.yaml", text))
    assert len(files) >= 7
    for f in files:
        assert (ROOT / f).exists(), f
    assert len(re.findall(r"^## \d\. ", text, flags=re.M)) == 5


def test_exercise_1_complaints_outrun_praise():  # F4, F5, M5
    r2 = _focal("scenarios/teaching_word_of_mouth.yaml", firm="rival_2")
    base = _focal(
        "scenarios/baseline.yaml", firm="rival_2", **{"population.size": 30000, "population.budget_reference": 30000}
    )
    assert r2["negative_contacts"].sum() / r2["negative_episodes"].sum() == 25.0
    assert abs(r2["positive_contacts"].sum() / r2["positive_episodes"].sum() - 8.0) < 0.05
    assert r2["negative_contacts"].sum() > 5 * r2["positive_contacts"].sum()
    assert r2["acquired"].sum() < 0.6 * base["acquired"].sum()


def test_exercise_3_the_funnel_gross_flows_dwarf_the_net_change():  # M14, F8
    f = _focal("scenarios/teaching_funnel.yaml")
    year2 = f.iloc[52:]
    gained, lost = year2["acquired"].mean(), (year2["churned"] + year2["ended_by_firm"]).mean()
    assert 35 <= gained <= 70 and 35 <= lost <= 80
    net = abs(year2["customers"].iloc[-1] - year2["customers"].iloc[0]) / len(year2)
    assert gained > 3 * net and lost > 3 * net
