"""The dashboard's logic without a browser: levers keep the scenario's values, presets cover every
shipped scenario and exercise, A/B runs are paired, the views say "press Play" before the first week,
the export has the timeseries' columns, and play stops when the page is gone.
(tests/test_dashboard_browser.py drives the page itself in Chromium.)"""

from __future__ import annotations

import io
import threading
import time
from types import SimpleNamespace

import pandas as pd
import pytest

from sim.dashboard import views as V
from sim.dashboard.controls import EXERCISES, PRESETS, lever_defaults, overrides_for, preset
from sim.dashboard.session import Run, build_market, paired_difference, preset_values, scenario_config
from sim.library import scenario_names, scenario_path
from sim.model import RelationshipMarket

SMALL = {"population": 2000}


def test_levers_start_from_the_scenario_values():
    assert preset_values(preset("teaching_word_of_mouth"))["population"] == 30_000  # not a slider default
    assert preset_values(preset("structural_bonds"))["structural"] > 0
    assert preset_values(preset("Exercise 2: structural bonds"))["structural"] == 5000.0
    cfg = scenario_config("baseline")
    d = lever_defaults(cfg, "rival_1")
    assert overrides_for(d, d, "rival_1") == ({}, False)  # untouched levers: the scenario as shipped
    over, war = overrides_for({**d, "social": 2000.0, "poaching": 500.0, "price_war": True}, d, "rival_1")
    assert over == {"firms.focal.levers.social.spend": 2000.0, "firms.rival_1.levers.poaching.spend": 500.0}
    assert war


def test_an_untouched_preset_runs_the_shipped_scenario_exactly():
    mine = build_market("baseline", SMALL)
    ref = RelationshipMarket(scenario_path("baseline"), rng=0, overrides={"population.size": 2000})
    mine.run(3)
    ref.run(3)
    pd.testing.assert_frame_equal(mine.timeseries(), ref.timeseries())


def test_levers_reach_the_model():
    m = build_market("baseline", {**SMALL, "structural": 4000.0, "price_war": True, "seed": 3})
    assert m.config.firms[0].levers.structural.spend == pytest.approx(4000.0 * 2000 / 100_000)  # scaled to 2,000
    m.run(3)
    ts = m.timeseries()
    assert ts.loc[ts["firm"] == "rival_1", "price"].iloc[-1] < 0.9  # the rival's price war is on


def test_every_shipped_scenario_and_exercise_is_a_preset():
    assert {p.scenario for p in PRESETS.values()} >= set(scenario_names())
    assert len(EXERCISES) == 5
    for p in EXERCISES:
        cfg = scenario_config(p.scenario)
        assert p.question and p.churn_firm in [f.name for f in cfg.firms]
        assert preset(p.compare).scenario in scenario_names()
    assert preset("Exercise 1: word of mouth").churn_firm == "rival_2"


def test_ab_run_is_paired_and_exported():
    a = build_market("baseline", {**SMALL, "structural": 8000.0})
    run = Run(a, build_market("baseline", SMALL), ("your strategy", "baseline"))
    same = Run(build_market("baseline", SMALL), build_market("baseline", SMALL))
    for _ in range(4):
        run.step()
        same.step()
    assert run.week == 4 and run.b.steps == 4
    zero = paired_difference(same.timeseries("a"), same.timeseries("b"))
    assert (zero[["profit", "retention_rate"]] == 0).all().all()  # same seed, same strategy: no difference
    d = paired_difference(run.timeseries("a"), run.timeseries("b"))
    assert list(d["step"]) == [0, 1, 2, 3, 4] and d["profit"].abs().sum() > 0  # the bond spend costs money
    table = pd.read_csv(io.BytesIO(run.csv_bytes()))
    assert {"market", "step", "firm", "customers", "profit", "retention_rate"} <= set(table.columns)
    assert set(table["market"]) == {"your strategy", "baseline"} and table["step"].max() == 4
    fa, fb = (V.VIEWS["money"](run.timeseries(m)) for m in ("a", "b"))
    assert fa.axes[0].get_ylim() != fb.axes[0].get_ylim()  # the bond spend lowers A's profit
    V.same_scale(fa, fb)  # A and B side by side on the same axes
    assert fa.axes[0].get_ylim() == fb.axes[0].get_ylim()


def test_views_say_press_play_then_draw_with_whole_weeks():
    m = build_market("baseline", SMALL)
    run = Run(m)
    empty = V.VIEWS["customers"](run.timeseries())
    assert "press" in empty.axes[0].texts[0].get_text()
    for _ in range(3):
        run.step()
    ts = run.timeseries()
    for name, view in V.VIEWS.items():
        fig = view(ts, big=True, firm="rival_2")
        assert not any(t.get_text().startswith("press") for ax in fig.axes for t in ax.texts), name
    churn = V.VIEWS["churn"](ts, firm="rival_2")
    assert churn.axes[0].get_title().startswith("rival_2")
    ticks = V.VIEWS["customers"](ts).axes[0].xaxis.get_major_locator()()
    assert all(float(t).is_integer() for t in ticks)
    xy, edges = V.network_sample(m)
    assert len(xy) == V.NETWORK_SAMPLE and len(edges) > len(xy)
    assert V.composite_png([V.network(m), empty])[:4] == b"\x89PNG"


def test_the_pyramid_view_shows_the_latest_classing_of_the_focal_firm():
    """D8 live: the pyramid counts sum to the focal firm's customers in the week they were classed, and the
    view moves on to the new classing after stepping past ``portfolio.update_every``."""
    over = {"population.size": 2000, "portfolio.update_every": 3}
    run = Run(RelationshipMarket(scenario_path("baseline"), rng=0, overrides=over))
    assert V.pyramid_table(run.timeseries()) is None
    assert "press" in V.VIEWS["pyramid"](run.timeseries()).axes[0].texts[0].get_text()
    tables = []
    for _ in range(5):
        run.step()
        ts = run.timeseries()
        t = V.pyramid_table(ts)
        focal = ts[(ts["firm"] == "focal") & (ts["step"] == t["week"].iloc[0])]
        assert t["customers"].sum() == focal["customers"].iloc[0] > 0
        assert t["value_share"].sum() == pytest.approx(100.0)
        tables.append(t)
    assert [t["week"].iloc[0] for t in tables] == [0, 0, 0, 3, 3]
    assert not tables[3]["customers"].equals(tables[0]["customers"])  # reclassed: the counts moved
    fig = V.VIEWS["pyramid"](ts, big=True)
    counts, shares = fig.axes
    labels = {t.get_position()[1]: t.get_text() for t in counts.get_yticklabels()}
    assert [labels[y] for y in sorted(labels, reverse=True)] == ["platinum", "gold", "iron", "lead"]  # top down
    bars = sorted(counts.patches, key=lambda b: -b.get_y())  # top first
    assert [b.get_width() for b in bars] == list(tables[-1]["customers"])  # platinum at the top
    assert counts.get_xlabel() == "customers" and "%" in shares.get_xlabel()
    assert {"pyramid_gold_customers", "pyramid_week"} <= set(pd.read_csv(io.BytesIO(run.csv_bytes())).columns)


def test_play_stops_when_the_page_is_gone():
    from solara.server.kernel_context import PageStatus

    from sim.dashboard.app import _page_alive

    ctx = SimpleNamespace(closed_event=threading.Event(), page_status={"p": PageStatus.CONNECTED})
    assert _page_alive(ctx)
    ctx.page_status["p"] = PageStatus.DISCONNECTED
    assert not _page_alive(ctx)
    ctx.page_status["p"] = PageStatus.CONNECTED
    ctx.closed_event.set()
    assert not _page_alive(ctx)


class _Box:
    """A stand-in for a Solara reactive variable."""

    def __init__(self, value):
        self.value = value

    def set(self, value) -> None:
        self.value = value


def test_play_keeps_its_pace_and_stops_when_the_page_goes():
    from solara.server.kernel_context import PageStatus

    from sim.dashboard.app import _play_loop

    ctx = SimpleNamespace(closed_event=threading.Event(), page_status={"p": PageStatus.CONNECTED})
    run, tick, playing = Run(build_market("baseline", SMALL)), _Box(0), _Box(True)
    ref = SimpleNamespace(current=run)
    stop = threading.Event()
    t = threading.Thread(target=_play_loop, args=(stop, ctx, ref, _Box("25 weeks/s"), tick, playing), daemon=True)
    t.start()
    t.join(1.0)
    assert t.is_alive() and 10 <= run.week <= 30, run.week  # about 25 weeks in a second, not all 104
    ctx.page_status["p"] = PageStatus.DISCONNECTED  # the tab went away
    t.join(1.0)
    assert not t.is_alive(), "play must stop when its page is gone"
    assert tick.value >= 1  # it redrew while playing
    week = run.week
    time.sleep(0.2)
    assert run.week == week


def test_a_start_state_scenario_never_gets_fewer_people_than_its_customers():
    """The population slider moves in steps of 1,000: a calibrated preset (cdnow: 2,357 customers) snapped to
    2,000 used to crash the page; its start state's size is the floor."""
    from sim.dashboard.session import build_market

    assert build_market("cdnow", {"population": 2000}).population.n == 2357
