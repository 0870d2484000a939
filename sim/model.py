"""RelationshipMarket: the Mesa model. Builds the market from a scenario and fixes the step order.

One step (one week by default):
  1. scheduled and random events fire (``markets.events``);
  2. the market actors move: government, alliances (M11), and each firm's supplier (D5, M9),
     distributor (M10) and employee pool (M8);
  3. every firm plans its spending and the offer its customers experience (``Firm.plan``);
  4. last step's word-of-mouth episodes are delivered (``CustomerPopulation.deliver_wom``);
  5. the market side turns offers, spending and word of mouth into the step's inputs
     (``sim.market.inputs``: small per-firm / per-segment arrays, named in ``sim.customers.registry``);
  6. the customer pass advances every customer (``CustomerPopulation.step``) and returns per-firm totals;
  7. every firm books its accounts from the totals by name; the influencers react (media, consumer
     groups: M12); the DataCollector records one row per firm.
Data flows one way: scenario -> model -> kernel -> totals -> firms -> collector.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.customers import registry as L
from sim.customers.credit import credit_counts
from sim.customers.population import NUMBA, CustomerPopulation, Engine, StepInputs, Totals
from sim.customers.rng import step_key
from sim.market.alliance import Alliance
from sim.market.columns import COST_COLUMNS, CREDIT_COLUMNS, FIRM_COLUMNS
from sim.market.distributor import Distributor
from sim.market.employees import EmployeePool
from sim.market.firm import Firm
from sim.market.influencers import ConsumerGroup, FinancialInstitution, Government, Media
from sim.market.inputs import MarketInputs
from sim.market.portfolio import PortfolioBook
from sim.market.rivals import policy_for
from sim.market.shocks import EventSchedule
from sim.market.supplier import Supplier
from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

__all__ = ["RelationshipMarket"]

MARKET_COLUMNS = ("prospects", "lapsed_customers", "population")
_MARKET_ATTRS = {"prospects": "prospects", "lapsed_customers": "lapsed_customers", "population": "population_size"}


def _checked_rng(rng: Any) -> Any:
    """The seed as Mesa and numpy take it, or a one-line :class:`ScenarioError` (not numpy's error
    from deep inside the build). A numpy integer becomes an ``int`` (Mesa seeds ``random`` with it)."""
    if rng is None or isinstance(rng, np.random.Generator | np.random.BitGenerator | np.random.SeedSequence):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool | np.bool_):
        if rng >= 0:
            return int(rng)
    raise ScenarioError(f"rng={rng!r}: a seed must be a non-negative integer, a numpy Generator or None")


def _checked_overrides(overrides: Any) -> dict[str, Any]:
    """Overrides as a dict of dotted string keys, or a one-line :class:`ScenarioError`."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ScenarioError(
            f"overrides={overrides!r}: expected a mapping of dotted keys to values, got {type(overrides).__name__}"
        )
    for key in overrides:
        if not isinstance(key, str):
            raise ScenarioError(f"overrides: key {key!r}: expected a dotted string such as 'population.size'")
    return overrides


_FIRM_ROW = operator.attrgetter("name", *FIRM_COLUMNS)
# the firm's name first: mesa.batch_run rows then say which firm they are, not only its AgentID
FIRM_REPORTERS = {"firm": "name", **{c: c for c in FIRM_COLUMNS}}
_STAGE_COLUMNS = [L.TOTALS[L.T.ST_PROSPECT + k].column for k in range(len(L.STAGES))]


class FirmCollector(mesa.DataCollector):
    """Mesa's DataCollector, fed cheaply: a firm's row is read by one ``attrgetter`` of all its columns
    instead of one Python reporter call (and type check) per column. The records, the reporters (which
    ``mesa.batch_run`` reads) and the tables are Mesa's own; every firm column is a number, which Mesa
    would not copy either."""

    def _record_agenttype(self, model: mesa.Model, agent_type: type) -> Any:
        if agent_type is not Firm or tuple(self.agenttype_reporters[Firm]) != tuple(FIRM_REPORTERS):
            return super()._record_agenttype(model, agent_type)
        row, time = _FIRM_ROW, model.time
        return [(time, agent.unique_id, *row(agent)) for agent in model.agents_by_type[Firm]]


class RelationshipMarket(mesa.Model):
    """The relationship market of one scenario: firms and the other market actors as Mesa agents,
    customers as arrays advanced by numba kernels. ``run()``, ``run_for(n)`` or ``step()`` advance it
    (one step = one week by default); ``timeseries()`` and ``customers()`` give its tables.

    Args:
        scenario: a :class:`Scenario`, a path to a YAML file, or None for the bundled defaults.
        rng: seed (int) or numpy Generator, as in Mesa; the same seed gives bit-identical results.
        overrides: dotted-key overrides applied to the scenario (``{"population.size": 5000}``).
        debug: check the population invariants after every step.
        engine: "numba" (the kernels) or "numpy" (the slow reference implementation, for tests).
        **params: further overrides with ``__`` for dots (``population__size=5000``), so that
            ``mesa.batch_run(RelationshipMarket, parameters={"population__size": [1000, 2000]})`` works.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: Any = None,
        overrides: dict[str, Any] | None = None,
        debug: bool = False,
        engine: str = "numba",
        **params: Any,
    ) -> None:
        """Build the market of ``scenario`` (customers, firms, their suppliers, distributors, employees,
        the stakeholders and alliances) at step 0.

        Args:
            scenario: a :class:`Scenario`, a library scenario name (``"baseline"``), a path to a YAML
                file, or None for the bundled defaults.
            rng: seed (non-negative int) or numpy Generator, as in Mesa; the same seed gives bit-identical
                results.
            overrides: dotted-key overrides applied to the scenario (``{"population.size": 5000}``),
                validated like the file.
            debug: check the population invariants after every step.
            engine: "numba" (the kernels) or "numpy" (the slow reference implementation, for tests).
            **params: further overrides with ``__`` for dots (``population__size=5000``), so that
                ``mesa.batch_run(RelationshipMarket, parameters={"population__size": [1000, 2000]})`` works.

        Raises:
            ScenarioError: a bad scenario, override or seed (one line naming the file and field).

        Example::

            model = RelationshipMarket("baseline", rng=7, overrides={"population.size": 5000})
            model.run_for(52)
            model.timeseries()
        """
        rng = _checked_rng(rng)
        more = {k.replace("__", "."): v for k, v in params.items()}
        overrides = {**_checked_overrides(overrides), **more}
        super().__init__(rng=rng)
        if isinstance(scenario, Scenario):
            cfg = scenario_from_dict(scenario.to_dict(), "scenario", overrides) if overrides else scenario
        elif scenario is None:
            cfg = scenario_from_dict({}, "defaults", overrides)
        else:
            cfg = load_scenario(scenario, overrides)
        cfg = cfg.scaled()
        self.config: Scenario = cfg
        self.debug = debug
        self.engine = engine
        self.horizon = cfg.steps
        self.kernel_seed = int(self.rng.integers(0, 2**63 - 1))
        self.firms: list[Firm] = [Firm(self, fc, i) for i, fc in enumerate(cfg.firms)]
        for firm in self.firms:  # each firm's partners in the supplier, distributor and internal markets
            firm.supplier = Supplier(self, firm.config.supplier, firm.name)
            firm.distributor = Distributor(self, firm.config.distributor, firm.name)
            firm.employees = EmployeePool(self, firm.config.employees, firm.name)
            firm.reaction = policy_for(firm.config)  # how it reacts to rivals (D1, M6)
        st = cfg.stakeholders
        self.media = Media(self, st, cfg.dynamics.levers)
        self.consumer_group = ConsumerGroup(self, st)
        self.financial = FinancialInstitution(self, st, cfg.steps_per_year)
        self.government = Government(self, st)
        self.alliances = [Alliance(self, a) for a in cfg.alliances]
        by_name = {f.name: f for f in self.firms}
        for a in self.alliances:
            for member in a.config.members:
                by_name[member].alliances.append(a)
        # shocks get their own stream, drawn at a fixed rate, so strategies share them (CRN)
        self.shock_rng = np.random.default_rng([self.kernel_seed, 1])
        self.events = EventSchedule(cfg.events, self.shock_rng)
        self.inputs = MarketInputs(cfg)
        value = self.delivered_value()
        self.population = CustomerPopulation.create(cfg, self.rng, value)
        self.totals = Totals(np.zeros((len(self.firms) + 1, len(L.T))))
        self._count_initial()
        self.datacollector = FirmCollector(
            model_reporters=_MARKET_ATTRS,
            agenttype_reporters={Firm: dict(FIRM_REPORTERS)},
        )
        self.datacollector.collect(self)
        self.portfolio = PortfolioBook(cfg)  # D8: classes, start classes, class-targeted bond spend

    # ------------------------------------------------------------------ the boundary with the arrays
    @property
    def engine(self) -> str:
        """The implementation of the customer passes: "numba" (the kernels) or "numpy" (the reference)."""
        return self.kernels.name

    @engine.setter
    def engine(self, name: str) -> None:
        if name == "numba":
            self.kernels: Engine = NUMBA
        elif name == "numpy":  # the slow reference, for tests; the population never imports it
            from sim.customers.reference import customer_pass_ref, wom_pass_ref

            self.kernels = Engine("numpy", wom_pass_ref, customer_pass_ref)
        else:
            raise ValueError(f"engine must be 'numba' or 'numpy', not {name!r}")

    @property
    def n_firms(self) -> int:
        return len(self.firms)

    def delivered_value(self) -> np.ndarray:
        """``[S, F]`` delivered value of the firms' current offers (D6)."""
        return self.inputs.delivered_value(self.firms)

    def deliver_wom(self, key: np.uint64) -> Totals:
        """Deliver last step's word of mouth (M5) with this scenario's reach; per-firm totals."""
        d = self.config.dynamics.wom
        return self.population.deliver_wom(key, d.positive_reach, d.negative_reach, self.n_firms, self.kernels)

    def step_inputs(self, wom: Totals, key: np.uint64) -> StepInputs:
        """The inputs of this step's customer pass, from the market's current state and the word of
        mouth just delivered (public: the benchmarks time the passes on exactly these)."""
        return self.inputs.build(self, key, wom)

    def _count_initial(self) -> None:
        pop = self.population
        counts = np.bincount(pop.firm.astype(np.int64) + 1, minlength=self.n_firms + 1)
        n = pop.n
        for firm in self.firms:
            firm.customers = float(counts[firm.index + 1])
            firm.market_share = firm.customers / n
            firm.retention_rate = 1.0
            mask = pop.firm == firm.index
            if mask.any():
                firm.satisfaction = float(pop.satisfaction[mask].mean())
                firm.trust = float(pop.trust[mask].mean())
                firm.loyalty = float(pop.loyalty[mask].mean())
            stages = np.bincount(pop.stage[mask].astype(np.int64), minlength=len(L.STAGES))
            for k, column in enumerate(_STAGE_COLUMNS):  # the registry's stage totals, in STAGES order
                if column is not None:
                    setattr(firm, column, float(stages[k]))
            firm.unit_cost_effective = firm.config.cost_per_unit
            firm._record_markets()  # the other markets' state at step 0
        outside = pop.stage[pop.firm < 0]  # a start state may begin with lapsed customers (D10)
        self._count_credit()
        self.prospects = float(np.count_nonzero(outside == L.PROSPECT))
        self.lapsed_customers = float(np.count_nonzero(outside == L.LAPSED))
        self.population_size = n

    def _count_credit(self) -> None:
        """F9, with credit on: each firm's customers by credit grade (``credit_grade_a`` … ``_d``)."""
        if not self.config.credit.enabled:
            return
        counts = credit_counts(self.population, self.n_firms)
        for firm in self.firms:
            for col, k in zip(CREDIT_COLUMNS[2:], counts[firm.index].tolist(), strict=True):
                setattr(firm, col, k)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance the market one step (one week by default), in the order of the module docstring."""
        now = self.steps - 1  # steps elapsed before this one (Mesa counts this step already)
        self.events.fire(self, now)
        self.government.step()
        for alliance in self.alliances:
            alliance.step(now)
        supply_draws = self.shock_rng.random(self.n_firms)
        for firm, u in zip(self.firms, supply_draws, strict=True):
            lv = firm.config.levers
            firm.supplier.step(lv.supplier, now, float(u))
            firm.distributor.step(lv.distributor, now)
            firm.employees.step(lv.internal_marketing, now)
        e = self.config.dynamics.levers
        for firm in self.firms:
            firm.plan(now, e)
        wom = self.deliver_wom(step_key(self.kernel_seed, self.steps))
        inputs = self.step_inputs(wom, step_key(self.kernel_seed, self.steps, 1))
        self.portfolio.before_step(self.population, inputs, now)
        self.totals = totals = self.population.step(inputs, self.kernels)
        n = self.population.n
        outside = (self.prospects + self.lapsed_customers) / n  # before this step's adoptions
        for firm in self.firms:
            firm.book(totals, wom, n, outside)
        self._count_credit()
        self.prospects = totals.outside("ST_PROSPECT")
        self.lapsed_customers = totals.outside("ST_LAPSED")
        # the influence market reacts to this step's outcomes (M12)
        self.media.react(self.firms)
        self.consumer_group.react(self.firms)
        for firm in self.firms:  # rivals react to what they saw (D1, M6: sim.market.rivals)
            firm.observe_rivals(self.firms, now)
        if self.debug:
            self.check()
        self.datacollector.collect(self)
        if self.steps >= self.horizon:
            self.running = False

    def run(self, steps: int | None = None, progress: Any = None) -> RelationshipMarket:
        """Run ``steps`` steps (default: the scenario's horizon); ``progress(k)`` is called after each."""
        for _ in range(self.horizon if steps is None else steps):
            self.step()
            if progress is not None:
                progress(1)
        return self

    def check(self) -> None:
        """Assert the invariants: states valid, customers conserved, money identity exact."""
        self.population.check_invariants(self.n_firms)
        total = sum(f.customers for f in self.firms) + self.prospects + self.lapsed_customers
        assert total == self.population.n, f"customers not conserved: {total} != {self.population.n}"
        counts = np.bincount(self.population.firm.astype(np.int64) + 1, minlength=self.n_firms + 1)
        for firm in self.firms:
            assert counts[firm.index + 1] == firm.customers, f"{firm.name}: customer count mismatch"
            parts = 0.0
            for col in COST_COLUMNS:
                parts += getattr(firm, col)
            assert firm.profit == firm.revenue - parts, f"{firm.name}: money identity broken"

    # ------------------------------------------------------------------ tables
    def timeseries(self) -> pd.DataFrame:
        """One row per step x firm (step 0 = the initial state), plus the market's own columns."""
        df = self.datacollector.get_agenttype_vars_dataframe(Firm).reset_index()
        df["firm"] = pd.Categorical(df["firm"], categories=[f.name for f in self.firms])
        df["step"] = df["Step"].astype(np.int64)
        market = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        market["step"] = np.arange(len(market), dtype=np.int64)
        df = df.drop(columns=["Step", "AgentID"]).merge(market, on="step", how="left")
        off = () if self.config.credit.enabled else CREDIT_COLUMNS  # F9's columns only with credit on
        cols = ["step", "firm", *(c for c in FIRM_COLUMNS if c not in off), *MARKET_COLUMNS]
        return df[cols].sort_values(["step", "firm"], kind="stable").reset_index(drop=True)

    def customers(self, copy: bool = True) -> pd.DataFrame:
        """The per-customer snapshot now; ``copy=False`` gives views that change as the model steps on."""
        return self.population.snapshot(
            [f.name for f in self.firms], [s.name for s in self.config.population.segments], copy=copy
        )

    # ------------------------------------------------------------------ notebooks
    def _repr_html_(self) -> str:
        """The model in a notebook: scenario, step, and each firm's headline figures with their units."""
        import html

        ts = self.timeseries()
        profit = ts[ts["step"] > 0].groupby("firm", observed=True)["profit"].sum()
        year = int(round(self.config.steps_per_year))
        unit = {52: "weeks", 365: "days"}.get(year, "steps")
        cols = (
            ("customers", "people"),
            ("market share", "%"),
            ("retention this step", "%"),
            ("satisfaction", "score 0-1"),
            ("profit to date", "currency units"),
            ("customer equity", "currency units"),
        )
        head = "".join(f"<th>{name}<br><small>{u}</small></th>" for name, u in cols)
        rows = []
        for f in self.firms:
            cells = (
                f"{f.customers:,.0f}",
                f"{100 * f.market_share:.1f}",
                f"{100 * f.retention_rate:.2f}",
                f"{f.satisfaction:.3f}",
                f"{float(profit.get(f.name, 0.0)):,.0f}",
                f"{f.customer_equity:,.0f}",
            )
            tds = "".join(f'<td style="text-align:right">{c}</td>' for c in cells)
            rows.append(f"<tr><th>{html.escape(f.name)}</th>{tds}</tr>")
        return (
            f"<div><b>RelationshipMarket</b> &mdash; scenario <code>{html.escape(self.config.name)}</code>, "
            f"step {self.steps} of {self.horizon} {unit}, {self.population.n:,} people"
            f"<table><thead><tr><th>firm</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
