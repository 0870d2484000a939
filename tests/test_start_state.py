"""The start state (population.start_state): a population that starts from a firm's own customers.

Round trip (file -> model -> initial arrays), defaults where a column is absent, every bad input as a one-line
error naming the file and the column (exit 2 from the CLI, nothing written), path resolution (extends,
experiments, --set), the content hash of runs, and bit-identical results for the same seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from sim import RelationshipMarket
from sim.cli import main
from sim.customers import registry as L
from sim.experiments.spec import expand, load_experiment
from sim.scenario import ScenarioError, load_scenario

SIZE = 2000


def _table(rows: int = 300, seed: int = 0) -> dict[str, list]:
    """A start state of ``rows`` people: a third each focal customers, rival customers, lapsed / prospects."""
    rng = np.random.default_rng(seed)
    firm = [("focal", "rival_1", None)[k % 3] for k in range(rows)]
    return {
        "customer": [f"c{k:05d}" for k in range(rows)],
        "firm": firm,
        "last_firm": [("focal" if k % 6 == 2 else None) if f is None else None for k, f in enumerate(firm)],
        "tenure": [int(x) if f else 0 for x, f in zip(rng.integers(0, 200, rows), firm, strict=True)],
        "n_purchases": rng.integers(0, 50, rows).tolist(),
        "last_purchase": [None if k % 9 == 8 else -int(x) for k, x in enumerate(rng.integers(0, 60, rows))],
        "freq": rng.gamma(2.0, 0.5, rows).tolist(),
        "own_churn": rng.beta(1, 9, rows).tolist(),
        "wallet": rng.lognormal(0, 1, rows).tolist(),
        "satisfaction": rng.random(rows).tolist(),
        "trust": rng.random(rows).tolist(),
        "loyalty": rng.random(rows).tolist(),
        "expectation": rng.random(rows).tolist(),
        "bond_fin": rng.random(rows).tolist(),
        "bond_soc": rng.random(rows).tolist(),
        "bond_str": rng.random(rows).tolist(),
    }


def _write(folder: Path, table: dict, name: str = "state.parquet", **scenario) -> Path:
    pq.write_table(pa.table(table), folder / name)
    doc = {"extends": "baseline", "steps": 6, "population": {"size": SIZE, "start_state": name}, **scenario}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_round_trip_arrays_equal_the_file_and_defaults_elsewhere(tmp_path):
    t = _table()
    m = RelationshipMarket(_write(tmp_path, t), rng=3, debug=True)
    pop, r = m.population, len(t["firm"])
    names = m.config.firm_names
    want_firm = np.array([names.index(f) if f else -1 for f in t["firm"]])
    np.testing.assert_array_equal(pop.firm[:r], want_firm)
    np.testing.assert_array_equal(pop.firm[r:], -1)  # everyone else is a prospect
    np.testing.assert_array_equal(pop.stage[r:], L.PROSPECT)
    want_last = np.array([names.index(f) if f else -1 for f in t["last_firm"]])
    np.testing.assert_array_equal(pop.last_firm[:r], want_last)
    for name in ("tenure", "n_purchases"):
        np.testing.assert_array_equal(getattr(pop, name)[:r], t[name], err_msg=name)
    for name in ("freq", "own_churn", "wallet", "satisfaction", "trust", "loyalty", "expectation", "bond_str"):
        np.testing.assert_array_equal(getattr(pop, name)[:r], np.float32(t[name]), err_msg=name)
    # stages from tenure and last firm, as the generator would: new / growing customers, lapsed former ones
    cust = want_firm >= 0
    new = np.array(t["tenure"]) < m.config.dynamics.new_steps
    lapsed = ~cust & (want_last >= 0)
    want_stage = np.where(cust, np.where(new, L.NEW, L.GROWING), np.where(lapsed, L.LAPSED, L.PROSPECT))
    np.testing.assert_array_equal(pop.stage[:r], want_stage)
    # the model's initial counts agree with the arrays; initial_share is not used
    assert [f.customers for f in m.firms] == [float((want_firm == k).sum()) for k in range(len(names))]
    assert m.lapsed_customers == float(lapsed.sum()) > 0
    assert m.prospects == SIZE - cust.sum() - lapsed.sum()
    snap = m.customers()
    assert list(snap["customer"][:r]) == t["customer"] and snap["customer"][r:].isna().all()
    m.run()  # and it runs (debug: invariants checked every step)


def test_only_firm_column_gives_the_generators_defaults(tmp_path):
    t = {"firm": ["focal"] * 50 + ["rival_1"] * 50 + [""] * 20}
    m = RelationshipMarket(_write(tmp_path, t), rng=5)
    pop, d = m.population, m.config.dynamics
    assert (pop.satisfaction == np.float32(d.satisfaction.initial)).all()
    assert (pop.n_purchases[:100] == 1).all() and (pop.n_purchases[100:] == 0).all()
    assert (pop.tenure[:100] < 2 * m.config.steps_per_year).all() and (pop.tenure[100:] == 0).all()
    assert np.isin(pop.stage[:100], (L.NEW, L.GROWING)).all() and (pop.stage[100:] == L.PROSPECT).all()
    assert pop.wallet.std() > 0.1 and "customer" not in m.customers().columns
    assert [f.customers for f in m.firms] == [50.0, 50.0, 0.0]


def test_integer_ids_are_carried_to_the_snapshot(tmp_path):
    m = RelationshipMarket(_write(tmp_path, {"customer": [7, 3, 11], "firm": ["focal"] * 3}), rng=1)
    ids = m.customers()["customer"]
    assert str(ids.dtype) == "Int64" and ids[:3].tolist() == [7, 3, 11] and ids[3:].isna().all()


def test_same_seed_bit_identical(tmp_path):
    path = _write(tmp_path, _table())
    a, b = (RelationshipMarket(path, rng=9).run() for _ in range(2))
    assert a.timeseries().equals(b.timeseries())
    assert a.customers().equals(b.customers())


BAD = [
    ("firm", lambda t: t.pop("firm"), "firm: missing column"),
    ("firm", lambda t: t.update(firm=["nobody"] * 300), "firm: unknown name 'nobody'"),
    ("firm", lambda t: t.update(firm=list(range(300))), "firm: expected names"),
    ("last_firm", lambda t: t.update(last_firm=["x"] * 300), "last_firm: unknown name 'x'"),
    ("segment", lambda t: t.update(segment=["gold"] * 300), "segment: unknown name 'gold'"),
    ("segment", lambda t: t.update(segment=["all"] * 299 + [None]), "segment: empty or null at row 299"),
    ("stage", lambda t: t.update(stage=["ghost"] * 300), "stage: unknown name 'ghost'"),
    ("stage", lambda t: t.update(stage=["prospect"] * 300), "stage: row 0 is a customer in stage 'prospect'"),
    ("stage", lambda t: t.update(stage=["loyal"] * 300), "stage: row 2 is a non-customer"),
    ("tenure", lambda t: t.update(tenure=[-1] * 300), "tenure: value -1 at row 0 outside [0, 32767]"),
    ("tenure", lambda t: t.update(tenure=[1.5] * 300), "tenure: expected integers, got double"),
    ("tenure", lambda t: t.update(tenure=[None] + [1] * 299), "tenure: 1 null values"),
    ("n_purchases", lambda t: t.update(n_purchases=[70000] * 300), "n_purchases: value 70000"),
    ("last_purchase", lambda t: t.update(last_purchase=[3] * 300), "last_purchase: value 3 at row 0"),
    ("freq", lambda t: t.update(freq=[-0.5] * 300), "freq: value -0.5"),
    ("freq", lambda t: t.update(freq=["1"] * 300), "freq: expected numbers, got string"),
    ("own_churn", lambda t: t.update(own_churn=[1.5] * 300), "own_churn: value 1.5"),
    ("wallet", lambda t: t.update(wallet=[0.0] * 300), "wallet: value 0.0 at row 0 outside (0, 1e+06]"),
    ("satisfaction", lambda t: t.update(satisfaction=[float("nan")] * 300), "satisfaction: value nan"),
    ("bond_soc", lambda t: t.update(bond_soc=[2.0] * 300), "bond_soc: value 2.0"),
    ("customer", lambda t: t.update(customer=["a"] * 300), "customer: duplicate id 'a'"),
    ("customer", lambda t: t.update(customer=[1.5] * 300), "customer: expected string or integer ids"),
    ("colour", lambda t: t.update(colour=["red"] * 300), "colour: unknown column"),
]


@pytest.mark.parametrize(("column", "change", "message"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)])
def test_bad_start_states_fail_with_one_line_naming_file_and_column(tmp_path, capsys, column, change, message):
    t = _table()
    change(t)
    path = _write(tmp_path, t)
    with pytest.raises(ScenarioError) as err:
        RelationshipMarket(path, rng=1)
    text = str(err.value)
    assert "\n" not in text and text.startswith(str(tmp_path / "state.parquet")) and message in text, text
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_bad_files(tmp_path, capsys):
    path = _write(tmp_path, _table())
    (tmp_path / "state.parquet").write_text("not parquet")
    with pytest.raises(ScenarioError, match=r"state.parquet: population.start_state: not a Parquet file"):
        RelationshipMarket(path, rng=1)
    (tmp_path / "state.parquet").unlink()
    with pytest.raises(ScenarioError, match=r"state.parquet: population.start_state: file not found"):
        RelationshipMarket(path, rng=1)
    _write(tmp_path, _table(SIZE + 1))
    with pytest.raises(ScenarioError, match=r"state.parquet: population.size: the start state has 2,001 rows"):
        RelationshipMarket(path, rng=1)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2 and not out.exists()
    assert "population.size" in capsys.readouterr().err
    doc = yaml.safe_load(path.read_text())
    doc["population"]["start_state"] = "../outside.parquet"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ScenarioError, match=r"population.start_state: '../outside.parquet' is outside the file's"):
        load_scenario(path)


def test_paths_resolve_from_the_file_that_names_them(tmp_path, monkeypatch):
    sub = tmp_path / "firm_data"
    sub.mkdir()
    _write(sub, _table(), "mine.parquet")
    # a scenario in another folder that extends it: the path stays relative to the file that named it
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": "firm_data/scenario.yaml", "steps": 4}))
    monkeypatch.chdir(tmp_path.parent)  # not the cwd
    assert load_scenario(child).population.start_state == str(sub / "mine.parquet")
    # --set: relative to the scenario file too; an absolute path as given
    assert load_scenario(sub / "scenario.yaml", {"population.start_state": "mine.parquet"}).population.start_state == str(
        sub / "mine.parquet"
    )
    absolute = str(sub / "mine.parquet")
    assert load_scenario("baseline", {"population.start_state": absolute}).population.start_state == absolute


def _experiment(folder: Path) -> Path:
    exp = {
        "name": "from_state",
        "kind": "compare",
        "replications": 2,
        "steps": 4,
        "baseline": {"name": "base", "scenario": "firm_data/scenario.yaml"},
        "strategies": [
            {"name": "care", "scenario": "firm_data/care.yaml"},
            {"name": "bonds", "scenario": "firm_data/scenario.yaml", "set": {"firms.focal.budget.retention": 3000}},
        ],
    }
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump(exp))
    return path


def test_compare_with_a_start_state_and_the_content_hash(tmp_path, monkeypatch):
    sub = tmp_path / "firm_data"
    sub.mkdir()
    _write(sub, _table())
    care = {"extends": "scenario.yaml", "firms": [{"name": "focal", "recovery_rate": 0.6}]}
    (sub / "care.yaml").write_text(yaml.safe_dump(care))
    path = _experiment(tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    exp, base = load_experiment(path)
    specs, _ = expand(exp, base)
    assert {s.scenario["population"]["start_state"] for s in specs} == {str(sub / "state.parquet")}
    out = tmp_path / "out"
    assert main(["compare", str(path), "--quiet", "--workers", "1", "--out", str(out)]) == 0
    assert len(list((out / "runs").glob("*.parquet"))) == 6
    # another Parquet file under the same name is new content: new keys, the stored runs are not reused
    pq.write_table(pa.table(_table(seed=1)), sub / "state.parquet")
    keys = {s.key for s in expand(exp, base)[0]}
    assert keys.isdisjoint({s.key for s in specs})
    assert main(["compare", str(path), "--quiet", "--out", str(out)]) == 2  # the folder holds the old content
    # a bad start state stops the experiment before any run, naming the strategy, the file and the column
    t = _table()
    t["segment"] = ["gold"] * 300
    pq.write_table(pa.table(t), sub / "state.parquet")
    with pytest.raises(ScenarioError, match=r"strategy base: .*state.parquet: segment: unknown name 'gold'"):
        expand(exp, base)


def test_without_a_start_state_keys_are_unchanged():
    """No start state: a run's content hash is what it was before start states existed."""
    from sim.experiments.spec import _content, _key

    sc = load_scenario("baseline").to_dict()
    assert _content(sc) == () and _key("e", "s", sc, 0, *_content(sc)) == _key("e", "s", sc, 0)
