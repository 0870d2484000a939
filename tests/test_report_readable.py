"""Reports a strategist can put in front of a board (issue 21): one glossary covers every number in the
outputs, the figures are readable at slide size, report.md leads with the answer, report.html stands alone,
and a sweep prints its result and explains its indices."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import sim
from sim.cli import main
from sim.experiments import figures
from sim.experiments.execute import TS_COLUMNS, run_one
from sim.experiments.spec import expand, load_experiment
from sim.output import glossary as G
from sim.output.headlines import firm_headlines, market_summary
from sim.output.palette import too_small_texts

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
ONE_TO_ONE = str(ROOT / "scenarios" / "one_to_one.yaml")
SMALL = {"population.size": 2000, "steps": 12}


def _compare(tmp_path: Path) -> Path:
    data = {
        "name": "board",
        "kind": "compare",
        "replications": 2,
        "set": SMALL,
        "baseline": {"name": "base", "scenario": BASELINE},
        "strategies": [
            {"name": "structural", "scenario": BASELINE, "set": {"firms.focal.levers.structural.spend": 20000}},
            {"name": "pruning", "scenario": ONE_TO_ONE},  # ends unprofitable relationships at once
        ],
    }
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A tiny compare experiment; every figure is checked for slide-size text before it is saved."""
    tmp = tmp_path_factory.mktemp("board")
    checked: list = []
    original = figures.save_figure

    def save(fig, path):  # noqa: ANN001, ANN202
        fig.canvas.draw()  # tick labels exist once drawn
        checked.append((path.name, too_small_texts(fig, figures.DPI)))
        original(fig, path)

    mp = pytest.MonkeyPatch()
    mp.setattr(figures, "save_figure", save)
    try:
        assert main(["compare", str(_compare(tmp)), "--quiet", "--workers", "1", "--out", str(tmp / "out")]) == 0
    finally:
        mp.undo()
    return tmp / "out", checked


def test_every_number_in_the_outputs_has_a_glossary_entry_with_label_and_unit(tmp_path: Path) -> None:
    exp, base = load_experiment(_compare(tmp_path))
    specs, _ = expand(exp, base)
    table = run_one(specs[0])
    names = [*TS_COLUMNS, *(c[2:] for c in table.columns if c.startswith("m_"))]
    from sim.model import RelationshipMarket
    from sim.scenario import Scenario

    model = RelationshipMarket(Scenario.model_validate({"steps": 3, "population": {"size": 500}}), rng=1)
    model.run()
    ts = model.timeseries()
    names += list(ts.columns)
    names += [k for h in firm_headlines(ts, model.customers(), 52.0).values() for k in h]
    names += [k for f in market_summary(ts).values() for m in f.values() for k in m if not k.startswith("state")]
    missing = sorted({n for n in names if n not in G.GLOSSARY})
    assert not missing, f"glossary.py has no entry for: {missing}"
    for n in set(names):
        t = G.GLOSSARY[n]
        assert t.label and t.unit and t.definition and t.kind in ("emergent", "input", "calibrated"), n
    assert G.unit("profit", "EUR") == "EUR per week" and G.unit("profit_total") == "currency units"


def test_figures_have_no_text_under_10_pt_when_placed_1280_px_wide(compared: tuple[Path, list]) -> None:
    _, checked = compared
    assert {"timeseries.png", "differences.png", "survival.png"} <= {name for name, _ in checked}
    small = {name: texts for name, texts in checked if texts}
    assert not small, f"text under 10 pt at 1280 px: {small}"


def test_report_leads_with_the_answer_in_compact_tables(compared: tuple[Path, list]) -> None:
    folder, _ = compared
    text = (folder / "report.md").read_text()
    first = [line for line in text.splitlines() if line.strip() and not line.startswith("## ")][1]  # after the title
    # the decision (issue 18) or, without one, the plain answer opens the report, in currency units
    assert first.startswith(("**Decision:", "**Answer.**")) and "currency units" in first and "baseline" in first
    assert "<br>" not in text and not re.search(r"\d–\d", text) and "– – –" not in text
    assert "Replications per strategy: 2 " in text and "baseline (reference)" in text
    assert "profit (currency units)" in text and "snake" not in text
    # the pruning strategy is explained from its data (relationships it ended in the first weeks)
    assert re.search(r"\*\*pruning\*\*: the firm itself ended \d+% of its starting relationships", text)
    assert "**structural**: the firm itself ended" not in text
    labelled = (folder / "comparison_labelled.csv").read_text().splitlines()[0]
    assert "Unit" in labelled and "Mean" in labelled


def test_report_html_is_self_contained_with_the_figures_embedded(compared: tuple[Path, list]) -> None:
    folder, _ = compared
    page = (folder / "report.html").read_text()
    figures = (folder / "report.md").read_text().count("](figures/")
    assert figures >= 3 and page.count('src="data:image/png;base64,') == figures
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched from elsewhere
    assert "<table>" in page and ("Answer." in page or "Decision:" in page)


def test_a_sweep_prints_its_table_and_explains_its_indices(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # rich wraps to the terminal; the words must be there unbroken
    grid = {
        "name": "g",
        "kind": "sweep",
        "scenario": BASELINE,
        "replications": 2,
        "set": SMALL,
        "parameters": [
            {"name": "firms.focal.levers.structural.spend", "values": [0, 30000]},
            {"name": "firms.focal.budget.retention", "values": [0, 5000]},
        ],
        "design": {"method": "grid"},
        "outputs": ["profit_total"],
    }
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(grid))
    assert main(["sweep", str(path), "--quiet", "--workers", "1", "--out", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "95% interval" in out and "mean over 2 replications" in out
    assert "structural spend (focal)" in out and "Total profit" in out
    report = (tmp_path / "g" / "report.md").read_text()
    assert "What the indices mean" in report and "standardised coefficient" in report
    assert "| src |" not in report
    assert (tmp_path / "g" / "report.html").exists()

    # sim results on the folder: the same readable table (it printed sweep.csv raw), then the indices
    assert main(["results", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "firms.focal" not in out and "profit_total_ci_low" not in out  # no raw keys or CSV headers
    assert "structural spend (focal)" in out and "currency units per week" in out  # inputs labelled, with units
    assert "Total profit over the run (currency units): mean over 2 replications" in out
    assert "95% interval" in out and "Sensitivity of Total profit" in out and "standardised coefficient:" in out
    # any run metric per design point, from the runs on disk; a wrong name: one line, exit 2
    assert main(["results", str(tmp_path / "g"), "--metric", "churn_rate"]) == 0
    out = capsys.readouterr().out
    assert "Churn rate (customers lost per customer-year): mean over 2 replications" in out
    assert "Total profit" not in out
    assert main(["results", str(tmp_path / "g"), "--metric", "churn"]) == 2
    assert "did you mean churn_rate?" in capsys.readouterr().err
    # the same folder in a notebook: labelled headers too
    page = sim.results(tmp_path / "g")._repr_html_()
    assert "structural spend (focal)" in page and "Total profit over the run (currency units)" in page
    assert "firms.focal" not in page and "_ci_low" not in page


def test_a_rerun_with_other_settings_gets_a_folder_named_by_what_changed(tmp_path: Path) -> None:
    import argparse

    from sim.experiments import store
    from sim.experiments.cli import folder_variant

    args = argparse.Namespace(sets=["population.size=5000"], replications=4)
    variant = folder_variant(args)
    assert variant == "size5000-reps4"
    first, _, lock = store.prepare(None, tmp_path / "bond_sweep", "one", {"name": "a"}, variant)
    lock.release()
    second, _, lock = store.prepare(None, tmp_path / "bond_sweep", "two", {"name": "b"}, variant)
    lock.release()
    third, _, lock = store.prepare(None, tmp_path / "bond_sweep", "three", {"name": "c"}, variant)
    lock.release()
    assert [first.name, second.name, third.name] == [
        "bond_sweep",
        "bond_sweep-size5000-reps4",
        "bond_sweep-size5000-reps4-2",
    ]
