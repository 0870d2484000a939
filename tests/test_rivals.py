"""Rivals that react (issue 16; D1, M6, M11): each policy of ``firms[].reaction`` does what it says, the
money identity holds under every one, and a comparison under several reactions names the strategies
whose rank changes (sim.market.rivals, sim.experiments.reactions)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim import RelationshipMarket
from sim.experiments.execute import execute, run_one
from sim.experiments.reactions import profits, rank_changes, rank_pivot, reaction_tables
from sim.experiments.spec import Experiment, expand, experiment_hash
from sim.market.rivals import BestResponse, Match, Undercut
from sim.scenario import Reaction, ScenarioError, load_scenario, scenario_from_dict

N = 4000
STEPS = 60


def _run(scenario: str, overrides: dict, seed: int = 1, steps: int = STEPS) -> RelationshipMarket:
    m = RelationshipMarket(scenario, rng=seed, overrides={"population.size": N, **overrides}, debug=True)
    return m.run(steps)  # debug: the money identity and customer conservation are asserted every step


def _firm(ts: pd.DataFrame, name: str) -> pd.DataFrame:
    return ts[(ts["firm"] == name) & (ts["step"] > 0)].reset_index(drop=True)


# ---------------------------------------------------------------- match (M6)
def test_a_matching_rival_runs_the_leaders_programme_after_the_lag_and_pays_for_it():
    lag = 8
    copied = _run("loyalty_program_copied", {"firms.rival_1.reaction.lag": lag})
    alone = _run("loyalty_program", {})
    focal, r1 = _firm(copied.timeseries(), "focal"), _firm(copied.timeseries(), "rival_1")
    r1_alone = _firm(alone.timeseries(), "rival_1")
    # nothing for the first lag steps; then what the focal firm ran lag steps earlier, equal to rounding
    first = int(np.argmax(r1["spend_financial"].to_numpy() > 0))
    assert lag <= first <= lag + 3 and (r1["rebate"].iloc[:first] == 0.0).all()
    later = range(first, first + lag)  # (later the leader may be rival_2, which copied it too)
    copied_spend = [r1["spend_financial"][t] for t in later]  # per customer x customers: equal to rounding
    assert copied_spend == pytest.approx([focal["spend_financial"][t - lag] for t in later], rel=1e-12)
    assert (r1["rebate"].iloc[first:] == 0.02).all()
    programme = next(f for f in load_scenario("loyalty_program").firms if f.name == "focal").levers.financial.spend
    assert focal["spend_financial"].iloc[-1] == pytest.approx(programme * N / 100_000)  # the scenario's spend, scaled
    # booked: it is in the rival's relationship spend, and its costs rise by exactly that much
    extra = r1["relationship_spend"] - r1_alone["relationship_spend"]
    assert (extra == r1["spend_financial"]).all()
    assert r1["spend_financial"].sum() > 0
    # and it takes share back from the focal firm (what matching is for)
    assert focal["market_share"].iloc[-1] < _firm(alone.timeseries(), "focal")["market_share"].iloc[-1]


def _fake(index: int, share: float, **spend: float) -> SimpleNamespace:
    levers = {"spend_financial": 0.0, "fin_rebate": 0.0, "level": 0, "spend_social": 0.0, "spend_structural": 0.0}
    levers |= {"spend_one_to_one": 0.0, "spend_poaching": 0.0, **spend}
    return SimpleNamespace(index=index, market_share=share, adjust={}, **levers)


def test_match_copies_the_rival_that_gained_most_share_running_the_lever():
    me, a, b = _fake(0, 0.3), _fake(1, 0.3, spend_social=100.0), _fake(2, 0.3, spend_social=500.0)
    policy = Match(Reaction(policy="match", lever="social", lag=2, window=3))
    firms = [me, a, b]
    policy.react(me, firms, 0)
    a.market_share, b.market_share = 0.35, 0.32  # a gained more share, though b spends more
    for now in range(1, 4):
        policy.react(me, firms, now)
    assert me.adjust == {"social": 100.0}
    a.market_share = 0.3  # nobody gains any more: the copy stops after the lag
    b.market_share = 0.3
    for now in range(4, 12):
        policy.react(me, firms, now)
    assert me.adjust == {}


# ---------------------------------------------------------------- undercut (D1)
class _PriceFirm(SimpleNamespace):
    def price_war(self, cut: float, duration: int) -> None:
        self.cuts.append((cut, duration))
        self.price_cut_for = duration


def test_undercut_cuts_price_in_proportion_to_the_share_lost_and_only_then():
    me, other = _PriceFirm(index=0, market_share=0.4, price_cut_for=0, cuts=[]), SimpleNamespace(index=1, market_share=0.4)
    policy = Undercut(Reaction(policy="undercut", window=4, cut_per_share=2.0, min_loss=0.01, max_cut=0.1, hold=5))
    for now in range(10):  # steady share: no cut
        policy.react(me, [me, other], now)
    assert me.cuts == []
    for now, share in enumerate((0.398, 0.395, 0.392, 0.39), start=10):  # 1 point lost over the window
        me.market_share = share
        policy.react(me, [me, other], now)
    assert me.cuts == [(pytest.approx(2.0 * 0.01), 5)]
    me.market_share = 0.2  # a big loss while the cut runs: no new cut until it ends; then capped
    policy.react(me, [me, other], 14)
    assert len(me.cuts) == 1
    me.price_cut_for = 0
    policy.react(me, [me, other], 15)
    assert me.cuts[-1] == (0.1, 5)


def test_an_undercutting_rival_lowers_its_price_and_its_revenue_per_purchase():
    over = {"firms.rival_1.reaction": {"policy": "undercut", "min_loss": 0.002}}
    cut, alone = (
        _firm(_run("loyalty_program", over).timeseries(), "rival_1"),
        _firm(_run("loyalty_program", {}).timeseries(), "rival_1"),
    )
    lowered = cut["price"] < alone["price"]
    assert lowered.any() and (cut["price"] <= alone["price"]).all()
    first = int(np.argmax(lowered.to_numpy()))
    share = cut["market_share"]  # decided after step `first` (row first - 1) on the 13 steps before it
    assert first >= 13 and share[first - 1] <= share[first - 1 - 13] - 0.002
    per_purchase = (cut["revenue"] / cut["purchases"])[lowered]
    assert (per_purchase < (alone["revenue"] / alone["purchases"])[lowered] - 1e-9).mean() > 0.9


# ---------------------------------------------------------------- best response
def test_best_response_picks_the_candidate_with_the_highest_forecast(monkeypatch):
    r = Reaction(policy="best_response", review=13)
    m = _run("baseline", {"firms.rival_1.reaction": r.model_dump()}, steps=13)
    rival = m.firms[1]
    policy = rival.reaction
    assert isinstance(policy, BestResponse) and policy.choice != ""
    cands = policy.candidates(rival, m.firms)
    scores = [policy.forecast(rival, c) for c in cands]
    assert policy.choice == cands[int(np.argmax(scores))]["_name"]
    # with the forecast rigged, it takes the rigged winner and sets the firm's budgets from it
    names = [c["_name"] for c in cands]
    target = names.index("retention_up")
    monkeypatch.setattr(BestResponse, "forecast", lambda self, firm, c: 1.0 if c["_name"] == "retention_up" else 0.0)
    policy.history.extend(policy.history)  # a full history
    policy.react(rival, m.firms, 25)
    assert policy.choice == "retention_up"
    assert rival.adjust["retention"] == pytest.approx(cands[target]["retention"])


def test_best_response_is_deterministic_and_changes_what_the_rival_spends():
    over = {f"firms.{f}.reaction": {"policy": "best_response"} for f in ("rival_1", "rival_2")}
    a, b = _run("loyalty_program", over).timeseries(), _run("loyalty_program", over).timeseries()
    pd.testing.assert_frame_equal(a, b)
    plain = _run("loyalty_program", {}).timeseries()
    spent = lambda ts: _firm(ts, "rival_1")[["acquisition_spend", "retention_spend"]].to_numpy()  # noqa: E731
    assert not np.array_equal(spent(a), spent(plain))
    assert (spent(a)[:13] == spent(plain)[:13]).all()  # nothing changes before the first review


@pytest.mark.parametrize("policy", ["match", "undercut", "best_response"])
def test_the_money_identity_holds_under_every_reaction(policy):
    over = {f"firms.{f}.reaction": {"policy": policy} for f in ("focal", "rival_1", "rival_2")}
    m = _run("full_relationship_marketing", over, steps=40)
    for firm in m.firms:
        assert firm.profit == firm.revenue - firm.cost


# ---------------------------------------------------------------- scenario files
def test_copy_financial_and_a_reaction_together_is_a_one_line_error():
    bad = {"firms": [{"name": "a", "levers": {"copy_financial": {"enabled": True}}, "reaction": {"policy": "match"}}]}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(bad, "x.yaml")
    assert "x.yaml" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ScenarioError, match="reaction.policy"):
        scenario_from_dict({"firms": [{"name": "a", "reaction": {"policy": "retaliate"}}]}, "x.yaml")


# ---------------------------------------------------------------- comparisons under several reactions
def _runs(profits: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = []
    for (s, r), values in profits.items():
        for k, p in enumerate(values):
            rows.append({"strategy": f"{s}@{r}", "replication": k, "profit_total": p, "relationship_spend_total": 1.0})
    return pd.DataFrame(rows)


META = {"reaction_names": ["ignore", "match"], "arms": ["base", "loyal", "price"], "baseline": "base"}
META["metrics"] = ["profit_total", "relationship_spend_total"]


def test_the_report_names_the_strategies_whose_rank_changes():
    runs = _runs(
        {
            ("base", "ignore"): [1.0, 1.1, 0.9],
            ("loyal", "ignore"): [3.0, 3.1, 2.9],
            ("price", "ignore"): [2.0, 2.1, 1.9],
            ("base", "match"): [1.0, 1.1, 0.9],
            ("loyal", "match"): [1.5, 1.6, 1.4],
            ("price", "match"): [2.0, 2.1, 1.9],
        }
    )
    _, ranking = reaction_tables(runs, META)
    assert list(ranking[ranking["reaction"] == "match"]["strategy"]) == ["price", "loyal", "base"]
    said = rank_changes(rank_pivot(ranking, META["reaction_names"], META["arms"]), META["reaction_names"])
    assert said == [
        "loyal is 1st when rivals ignore, 2nd when rivals match.",
        "price is 2nd when rivals ignore, 1st when rivals match.",
    ]
    # with the runs: the swap is beyond noise (the paired change is -1.5 in every replication) ...
    said = rank_changes(rank_pivot(ranking, ["ignore", "match"], META["arms"]), ["ignore", "match"], profits(runs, META))
    assert said[0] == (
        "loyal is 1st when rivals ignore, 2nd when rivals match. Beyond noise when rivals match (vs price); "
        "paired 95% intervals."
    )
    # ... and within noise when the order flips by less than the replications scatter
    noisy = runs.copy()
    noisy.loc[noisy["strategy"] == "loyal@match", "profit_total"] = [2.4, 1.0, 2.4]
    _, ranking = reaction_tables(noisy, META)
    said = rank_changes(rank_pivot(ranking, ["ignore", "match"], META["arms"]), ["ignore", "match"], profits(noisy, META))
    assert said[0].endswith("Within noise: no swap's paired 95% interval excludes 0.")


def test_the_report_says_so_when_no_rank_changes():
    same = {("base", r): [1.0, 1.1] for r in ("ignore", "match")} | {("loyal", r): [3.0, 3.2] for r in ("ignore", "match")}
    _, ranking = reaction_tables(_runs(same), {**META, "arms": ["base", "loyal"]})
    said = rank_changes(rank_pivot(ranking, ["ignore", "match"], ["base", "loyal"]), ["ignore", "match"])
    assert said == ["No strategy's rank changes with the rivals' reaction."]


def _experiment(**extra) -> Experiment:
    return Experiment.model_validate(
        {
            "name": "t",
            "replications": 2,
            "steps": 20,
            "set": {"population.size": 2000},
            "baseline": {"name": "base", "scenario": "baseline"},
            "strategies": [{"name": "loyal", "scenario": "loyalty_program"}],
            **extra,
        }
    )


def test_an_experiment_runs_every_strategy_under_every_reaction_with_the_same_seeds(tmp_path):
    reactions = ["ignore", {"name": "copy", "reaction": {"policy": "match", "lag": 2}}]
    exp = _experiment(reactions=reactions)
    specs, _ = expand(exp, tmp_path)
    assert [s.label for s in specs[:4]] == ["base@ignore", "loyal@ignore", "base@copy", "loyal@copy"]
    assert {s.label: s.seed for s in specs if s.replication == 1} == dict.fromkeys(
        ["base@ignore", "loyal@ignore", "base@copy", "loyal@copy"], 1
    )
    copy = next(s for s in specs if s.label == "loyal@copy").scenario
    by_name = {f["name"]: f["reaction"] for f in copy["firms"]}
    assert by_name["focal"]["policy"] == "ignore"  # the reported firm does not react
    assert by_name["rival_1"]["policy"] == by_name["rival_2"]["policy"] == "match" and by_name["rival_1"]["lag"] == 2
    # without reactions an experiment's labels, keys and identity are what they were
    plain = _experiment()
    plain_specs, _ = expand(plain, tmp_path)
    assert [s.label for s in plain_specs[:2]] == ["base", "loyal"]
    assert experiment_hash(plain, plain_specs) != experiment_hash(exp, specs)
    with pytest.raises(ValueError, match="reactions: names must be unique"):
        _experiment(reactions=["match", "match"])
    nobody = _experiment(reactions=[{"name": "x", "firms": ["nobody"], "reaction": {"policy": "match"}}])
    with pytest.raises(ScenarioError, match="strategy base under reaction x: reactions: x: no firm named 'nobody'$"):
        expand(nobody, tmp_path)


def test_runs_under_reactions_are_the_same_serial_and_in_a_process_pool(tmp_path):
    exp = _experiment(reactions=["match", "best_response"], replications=1)
    specs, _ = expand(exp, tmp_path)
    serial, pool = {}, {}
    execute(specs, lambda s, t, e: serial.__setitem__(s.key, t), workers=1)
    execute(specs, lambda s, t, e: pool.__setitem__(s.key, t), workers=2)
    for key in serial:
        drop = ["runtime_seconds"]
        pd.testing.assert_frame_equal(serial[key].drop(columns=drop), pool[key].drop(columns=drop))
    assert not serial[specs[1].key]["m_profit_total"].equals(run_one(specs[3])["m_profit_total"])
