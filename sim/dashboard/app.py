"""The classroom dashboard: a Solara page of the six relationship markets.

    sim dashboard [SCENARIO] [--port P] [--host H]     (or: solara run sim/dashboard/app.py)

Why not Mesa's SolaraViz page: Mesa 3.5's SolaraViz takes one model object created when the module is
imported, so every visitor shares (and steps) the same model, and its play loop is not tied to the
page; it also draws one market only, so the A/B mode (Mesa issue 573, side-by-side runs) cannot be
built on it. This page keeps Mesa's model (``RelationshipMarket``, a ``mesa.Model``) and its
DataCollector underneath, and builds one :class:`~sim.dashboard.session.Run` per browser page (Solara
gives each page its own kernel, so ``use_memo`` state is per page). Play runs in a thread that stops
when its page closes or disconnects, and redraws every few weeks so that stepping, not drawing, takes
most of the time. Controls and presets are in :mod:`sim.dashboard.controls`, the figures in
:mod:`sim.dashboard.views`.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import solara
from solara.server import kernel_context

from sim.dashboard import views as V
from sim.dashboard.controls import GROUPS, LEVERS, PRESETS, Lever, Preset, preset
from sim.dashboard.session import Run, build_market, paired_difference, preset_values, scenario_config
from sim.library import scenario_names, scenario_path

# Solara warns (12 lines) on every page served over plain http at 127.0.0.1 that it falls back to
# samesite=lax cookies; lax is what a dashboard not embedded in an iframe wants.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

__all__ = ["Page", "Layout", "initial_preset", "RENDER_MIN"]

RENDER_MIN = 0.5  # seconds between redraws while playing (at least; as long as a redraw takes, if longer)
SPEEDS = {"5 weeks/s": 5.0, "10 weeks/s": 10.0, "25 weeks/s": 25.0, "as fast as possible": None}
TITLE = "Relationship marketing: the six markets"
CSS = """
.sim-page { font-size: 15px; padding: 8px 16px; }
.sim-page.big { font-size: 21px; }
.sim-page .v-label, .sim-page .v-select__selection, .sim-page .v-btn { font-size: inherit !important; }
.sim-group { font-weight: 700; text-transform: capitalize; margin-top: 10px; border-bottom: 1px solid #ccc; }
.lever-label { margin-top: 4px; }
.lever-value { font-weight: 700; color: #1f4e8c; }
.sim-page .v-slider { margin: 0 4px !important; }
.sim-page .v-input__slot { margin-bottom: 0 !important; }
.sim-page .v-messages { display: none; }
.sim-view img { width: 100%; height: auto; }
.sim-question { background: #fff8e1; border-left: 5px solid #f9a825; padding: 6px 12px; }
.sim-caption { font-weight: 700; color: #1f4e8c; }
.week-label { font-size: 1.4em; font-weight: 700; }
.solara-watermark, .v-application--wrap > a[href*="solara.dev"] { display: none !important; }
"""


def initial_preset() -> Preset:
    """The preset of the scenario given to ``sim dashboard`` (``SIM_DASHBOARD_SCENARIO``), else the baseline."""
    path = os.environ.get("SIM_DASHBOARD_SCENARIO")
    if not path:
        return preset("baseline")
    for name in scenario_names():
        if scenario_path(name).resolve() == Path(path).resolve():
            return preset(name)
    cfg = scenario_config(path)
    return Preset(f"File: {Path(path).name}", str(Path(path).resolve()), cfg.description)


def _page_alive(ctx: Any) -> bool:
    """Whether the browser page of this kernel is still there (closed tabs and lost connections stop play)."""
    if ctx is None:
        return True
    if ctx.closed_event.is_set():
        return False
    return kernel_context.PageStatus.CONNECTED in ctx.page_status.values()


def _fmt(lv: Lever, v: Any) -> str:
    if lv.kind == "bool":
        return "on" if v else "off"
    if isinstance(lv.kind, tuple):
        return str(v)
    if lv.kind == "int" or float(v) >= 100:
        return f"{float(v):,.0f}"
    return f"{float(v):.2f}"


@solara.component
def LeverControl(lv: Lever, value: Any, on_value: Any):
    with solara.Column(gap="0px", style={"width": "100%"}, classes=[f"lever-{lv.name}"]):
        with solara.Row(classes=["lever-label"], gap="6px"):
            solara.Text(f"{lv.label} ({lv.source}):")
            solara.Text(f"{_fmt(lv, value)} {'' if lv.kind == 'bool' else lv.unit}", classes=["lever-value"])
        if lv.kind == "bool":
            solara.Switch(label=lv.label, value=bool(value), on_value=on_value)
        elif isinstance(lv.kind, tuple):
            solara.Select(label="", values=list(lv.kind), value=value, on_value=on_value)
        elif lv.kind == "int":
            hi = max(int(lv.hi), int(value))
            solara.SliderInt(label="", value=int(value), min=int(lv.lo), max=hi, step=int(lv.step), on_value=on_value)
        else:
            hi = max(float(lv.hi), float(value))
            solara.SliderFloat(label="", value=float(value), min=lv.lo, max=hi, step=lv.step, on_value=on_value)


@solara.component
def Controls(values: solara.Reactive, rival: str):
    for group in GROUPS:
        title = f"{group} market" + (f" ({rival})" if group == "competitor" else "")
        solara.Text(title, classes=["sim-group"])
        for lv in LEVERS:
            if lv.group == group:
                LeverControl(lv, values.value[lv.name], lambda v, n=lv.name: values.set({**values.value, n: v}))


@solara.component
def Figure(fig, caption: str):
    with solara.Div(classes=["sim-view"]):
        solara.Text(caption, classes=["sim-caption"])
        solara.FigureMatplotlib(fig, format="png")


def _market(p: Preset, values: dict[str, Any]):
    return build_market(p.scenario, values)


def _play_loop(stop: threading.Event, ctx: Any, run_ref: Any, speed: Any, tick: Any, playing: Any) -> None:
    """Play: step the page's run at the chosen pace and redraw every RENDER_MIN seconds or more, until
    paused (``stop``), the run's horizon, or the page closing or going away (the server then idles)."""
    t0, done, rate = time.perf_counter(), 0, None
    last, cost = t0, 0.0
    while not stop.is_set():
        if not _page_alive(ctx):
            return  # the tab closed or went away: the server goes idle
        r = run_ref.current
        if r.done:
            break
        if SPEEDS[speed.value] != rate:  # a new pace: count from now
            t0, done, rate = time.perf_counter(), 0, SPEEDS[speed.value]
        if rate is None or done < (time.perf_counter() - t0) * rate:
            r.step()
            done += 1
        else:
            stop.wait(0.02)
        now = time.perf_counter()
        if now - last >= max(RENDER_MIN, cost):  # drawing at most half the time; stepping catches up
            tick.set(tick.value + 1)
            last = time.perf_counter()
            cost = last - now
    if not stop.is_set():
        playing.set(False)
        tick.set(tick.value + 1)


class _Values:
    """The lever values of the page's state, read and set like a reactive variable."""

    def __init__(self, state: Any) -> None:
        self.state = state

    @property
    def value(self) -> dict[str, Any]:
        return self.state.value["values"]

    def set(self, values: dict[str, Any]) -> None:
        self.state.set({**self.state.value, "values": values})


@solara.component
def Page():
    ctx = kernel_context.get_current_context() if kernel_context.has_current_context() else None
    start = solara.use_memo(initial_preset, [])
    # the preset and its lever values change together (one reactive), so no market is ever built from
    # one preset's scenario with another's values
    state = solara.use_reactive(solara.use_memo(lambda: {"preset": start.name, "values": preset_values(start)}, []))
    p = PRESETS.get(state.value["preset"], start)
    values = _Values(state)
    compare = solara.use_reactive(preset(p.compare).name)
    ab = solara.use_reactive(False)
    big = solara.use_reactive(False)
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)
    resets = solara.use_reactive(0)
    churn_firm = solara.use_reactive(p.churn_firm)
    prediction = solara.use_reactive("")
    speed = solara.use_reactive("10 weeks/s")

    def choose(name: str) -> None:
        q = PRESETS.get(name, start)
        playing.set(False)
        state.set({"preset": name, "values": preset_values(q)})
        compare.set(preset(q.compare).name)
        churn_firm.set(q.churn_firm)

    key = tuple(sorted(values.value.items()))

    def build() -> Run:
        a = _market(p, values.value)
        if not ab.value:
            return Run(a)
        q = PRESETS.get(compare.value, preset("baseline"))
        same = {"seed": values.value["seed"], "population": values.value["population"]}
        b = _market(q, {**preset_values(q), **same})
        return Run(a, b, ("your strategy", q.name))

    run = solara.use_memo(build, [p.name, key, ab.value, compare.value, resets.value])
    run_ref = solara.use_ref(run)
    run_ref.current = run

    def play():
        if not playing.value:
            return None
        stop = threading.Event()

        threading.Thread(
            target=_play_loop, args=(stop, ctx, run_ref, speed, tick, playing), daemon=True, name="sim-play"
        ).start()
        return stop.set

    solara.use_effect(play, [playing.value])

    def step() -> None:
        run.step()
        tick.set(tick.value + 1)

    solara.Title(f"sim dashboard: {run.a.config.name}")
    solara.Style(CSS)
    bigv = big.value
    _ = tick.value  # redraw on every tick
    firms = [f.name for f in run.a.firms]
    with solara.Columns([1, 3] if not bigv else [1, 2], classes=["sim-page", "big" if bigv else "small"]):
        with solara.Column(gap="4px"):
            solara.Markdown(f"### {TITLE}")
            solara.Select(
                label="Preset",
                values=list(PRESETS) if p.name in PRESETS else [p.name, *PRESETS],
                value=p.name,
                on_value=choose,
            )
            with solara.Row(gap="4px"):
                solara.Button(
                    "Pause" if playing.value else "▶ Play",
                    color="primary",
                    on_click=lambda: playing.set(not playing.value),
                    disabled=run.done,
                )
                solara.Button("Step", on_click=step, disabled=playing.value or run.done)
                solara.Button("Reset", on_click=lambda: (playing.set(False), resets.set(resets.value + 1)))
            solara.Text(f"Week {run.week} of {run.horizon}", classes=["week-label"])
            solara.Select(label="Play speed", values=list(SPEEDS), value=speed)
            solara.Switch(label="Projector mode", value=big)
            solara.Switch(label="A/B: compare with another preset", value=ab)
            if ab.value:
                solara.Select(label="Comparison (B)", values=list(PRESETS), value=compare)
            solara.Select(
                label="Churn by cause of",
                values=firms,
                value=churn_firm.value if churn_firm.value in firms else firms[0],
                on_value=churn_firm.set,
            )
            solara.Text(
                "Levers (moving one restarts the run at week 0; money per week for 100,000 people, scaled to the population)"
            )
            Controls(values, run.a.config.firms[1].name if len(firms) > 1 else firms[0])
        with solara.Column():
            cfg = run.a.config
            n, seed = run.a.population.n, values.value["seed"]
            solara.Markdown(f"**Scenario: {cfg.name}** ({n:,} customers, seed {seed}): {p.description or cfg.description}")
            if p.question:
                with solara.Div(classes=["sim-question"]):
                    solara.Markdown(f"**Predict, then run.** {p.question}")
                    solara.InputText("Your prediction (before pressing Play)", value=prediction)
            figs = _figures(run, bigv, churn_firm.value if churn_firm.value in firms else firms[0])
            with solara.Row(gap="8px"):
                solara.FileDownload(
                    lambda: run.csv_bytes(),
                    filename=f"sim_{run.a.config.name}_timeseries.csv",
                    label="Download timeseries (CSV)",
                )
                solara.FileDownload(
                    lambda: V.composite_png([f for _, f in figs]),
                    filename=f"sim_{run.a.config.name}_figures.png",
                    label="Download figures (PNG)",
                )
            with solara.GridFixed(columns=2 if bigv or run.b is not None else 3):
                for caption, fig in figs:
                    Figure(fig, caption)


def _figures(run: Run, big: bool, firm: str) -> list[tuple[str, Any]]:
    """(caption, figure) of every view: one market's nine views, or in A/B mode four views of each
    market side by side and their paired difference."""
    ts = run.timeseries("a")
    if run.b is None:
        figs = [(name, V.VIEWS[name](ts, big=big, firm=firm)) for name in V.VIEWS]
        figs.insert(1, ("network", V.network(run.a, big)))
        return figs
    tb = run.timeseries("b")
    figs = []
    for name in V.AB_VIEWS:
        pair = [V.VIEWS[name](t, big=big, firm=firm) for t in (ts, tb)]
        V.same_scale(*pair)  # A and B on the same axes, so that they compare by eye
        figs += [(f"{label}: {name}", f) for label, f in zip(run.labels, pair, strict=True)]
    figs.append(("difference A - B", V.ab_difference(paired_difference(ts, tb), big, run.labels)))
    return figs


@solara.component
def Layout(children: list | None = None):
    """No app bar or side menu: the page is the whole window (nothing covers a chart)."""
    solara.Column(children=children or [], style={"width": "100%"})
