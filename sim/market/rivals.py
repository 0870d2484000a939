"""Rivals that react (competitor market, D1; M6; M11): one small class per policy of ``firms[].reaction``.

Each policy has ``react(firm, firms, now)``, called once per step for its firm after every firm has
booked its accounts (``RelationshipMarket.step``), in firm order. A policy acts on the next steps only,
through two handles of the firm: ``firm.adjust`` (lever settings read by ``Firm.plan``: budgets replace
the scenario's, relationship levers only raise it) and ``firm.price_war`` (a price cut held for some
steps). Whatever a reaction sets is spent, booked and costed like any lever, so the money identity holds.
No policy draws random numbers: a run stays bit-identical for the same seed, serial or parallel.

- ``ignore``: nothing (``policy_for`` returns None).
- ``CopyFinancial``: the older ``levers.copy_financial`` switch (M6): the largest rival rebate and
  programme spend per customer, copied ``lag`` steps later. Kept as it was, so old scenarios still run.
- ``Match``: for each lever it watches, the *leader* is the rival that runs it and gained the most market
  share over ``window`` steps (more than ``min_gain``); ``lag`` steps later the firm runs the lever at
  least at the leader's setting (the same spend per step, rebate or relationship level) and pays for it.
  When no rival qualifies, the copy stops after the same lag.
- ``Undercut``: when the firm has lost at least ``min_loss`` of market share over ``window`` steps and no
  cut is running, it cuts its price by ``cut_per_share`` x the share lost (at most ``max_cut``) for
  ``hold`` steps. A lower price lowers revenue and the margin per unit sold.
- ``BestResponse``: every ``review`` steps it scores a few candidate settings with a forecast fitted on
  its own last ``review`` steps and keeps the best (first on ties); see :class:`BestResponse`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from sim.scenario.reactions import MATCHABLE_LEVERS, Reaction

if TYPE_CHECKING:
    from sim.market.firm import Firm
    from sim.scenario import FirmConfig

__all__ = ["Policy", "policy_for", "lever_settings", "CopyFinancial", "Match", "Undercut", "BestResponse", "ShareWatch"]


def lever_settings(firm: Firm, lever: str) -> dict[str, float]:
    """What ``firm`` runs of one relationship lever this step, as ``Firm.adjust`` keys (empty: not running)."""
    if lever == "financial":
        if firm.spend_financial <= 0.0 and firm.fin_rebate <= 0.0:
            return {}
        return {"rebate": firm.fin_rebate, "financial": firm.spend_financial}
    if lever == "relationship_level":
        return {lever: float(firm.level)} if firm.level > 0 else {}
    value = float(getattr(firm, f"spend_{lever}"))
    return {lever: value} if value > 0.0 else {}


class ShareWatch:
    """Every firm's market share over the last ``window`` steps (the share gain of a firm, D1)."""

    def __init__(self, window: int) -> None:
        self._shares: deque[tuple[float, ...]] = deque(maxlen=window + 1)

    def record(self, firms: list[Firm]) -> None:
        self._shares.append(tuple(f.market_share for f in firms))

    def gain(self, index: int) -> float:
        """Share gained by firm ``index`` since the oldest record kept (0 before two records)."""
        return self._shares[-1][index] - self._shares[0][index] if self._shares else 0.0


class CopyFinancial:
    """``levers.copy_financial`` (M6): the largest rival level-1 incentive, copied ``lag`` steps later."""

    def __init__(self, lag: int) -> None:
        self._seen: deque[tuple[float, float]] = deque(maxlen=lag)

    def react(self, firm: Firm, firms: list[Firm], now: int) -> None:
        rivals = [f for f in firms if f is not firm]
        seen = (max((f.fin_rebate for f in rivals), default=0.0), max((f.fin_per_customer for f in rivals), default=0.0))
        if len(self._seen) == self._seen.maxlen:
            firm.adjust["rebate"], firm.adjust["financial_per_customer"] = self._seen[0]
        self._seen.append(seen)


class Match:
    """Copy the relationship lever(s) of the rival that gained most share running them, after a lag (M6)."""

    def __init__(self, r: Reaction) -> None:
        self.levers = MATCHABLE_LEVERS if r.lever == "all" else (r.lever,)
        self.min_gain = r.min_gain
        self.watch = ShareWatch(r.window)
        self._seen: deque[dict[str, float]] = deque(maxlen=r.lag)

    def leader(self, firm: Firm, firms: list[Firm], lever: str) -> Firm | None:
        """The rival running ``lever`` with the largest share gain above ``min_gain`` (first on ties)."""
        best, best_gain = None, self.min_gain
        for f in firms:
            if f is not firm and lever_settings(f, lever):
                g = self.watch.gain(f.index)
                if g > best_gain:
                    best, best_gain = f, g
        return best

    def react(self, firm: Firm, firms: list[Firm], now: int) -> None:
        self.watch.record(firms)
        seen: dict[str, float] = {}
        for lever in self.levers:
            leader = self.leader(firm, firms, lever)
            if leader is not None:
                seen.update(lever_settings(leader, lever))
        if len(self._seen) == self._seen.maxlen:
            copied = self._seen[0]
            kept = {k: v for k, v in firm.adjust.items() if k in ("acquisition", "retention")}
            firm.adjust = {**kept, **copied}
        self._seen.append(seen)


class Undercut:
    """Cut price in proportion to the market share lost over a window, bounded, held (D1)."""

    def __init__(self, r: Reaction) -> None:
        self.r = r
        self.watch = ShareWatch(r.window)

    def react(self, firm: Firm, firms: list[Firm], now: int) -> None:
        self.watch.record(firms)
        lost = -self.watch.gain(firm.index)
        if firm.price_cut_for == 0 and lost >= self.r.min_loss:
            firm.price_war(min(self.r.max_cut, self.r.cut_per_share * lost), self.r.hold)


class BestResponse:
    """Every ``review`` steps, the candidate setting with the highest forecast profit over the next review.

    Candidates, in this order (the first wins ties): the current settings; the acquisition budget
    raised, then lowered, by ``budget_step``; the retention budget raised, then lowered; the current
    settings plus the relationship levers of the leader (the rival with the largest share gain over the
    last review period) where they exceed the firm's own.

    The forecast is a one-line customer model fitted on the firm's own last ``review`` steps (no copy of
    the market is run, no random number drawn): with N customers now,
    ``N' = N (1 - h) + A`` for ``review`` steps, and profit ``sum(m N - acquisition - retention - R)``, where
    m is the observed gross margin less cost to serve per customer-step; A = a acquisition^θ with a fitted
    so that the mean past spend gives the mean past acquisitions (θ = ``acquisition_exponent``);
    h = h0 (mean past retention / retention)^ε with h0 the observed loss rate (ε =
    ``retention_elasticity``), or the leader's loss rate if lower for the matching candidate; R the extra
    relationship spend a candidate adds. The other costs are the same for every candidate and left out.
    """

    def __init__(self, r: Reaction) -> None:
        self.r = r
        self.watch = ShareWatch(r.review)
        self.history: deque[tuple[float, ...]] = deque(maxlen=r.review)
        self.choice = "current"  # the candidate chosen at the last review

    def react(self, firm: Firm, firms: list[Firm], now: int) -> None:
        self.watch.record(firms)
        margin = firm.revenue - firm.cogs - firm.serve_cost
        lost = firm.churned + firm.ended_by_firm
        self.history.append(
            (firm.customers_at_start, firm.acquired, lost, margin, firm.acquisition_spend, firm.retention_spend)
        )
        if (now + 1) % self.r.review or len(self.history) < self.r.review:
            return
        cands = self.candidates(firm, firms)
        scores = [self.forecast(firm, c) for c in cands]
        k = max(range(len(cands)), key=lambda i: (scores[i], -i))  # the first of equal scores
        self.choice = cands[k].pop("_name")
        firm.adjust = {key: v for key, v in cands[k].items() if not key.startswith("_")}

    def candidates(self, firm: Firm, firms: list[Firm]) -> list[dict[str, float]]:
        base = {**firm.adjust, "acquisition": firm.acquisition_spend, "retention": firm.retention_spend}
        s = self.r.budget_step
        out = [{**base, "_name": "current"}]
        for budget in ("acquisition", "retention"):
            for name, k in (("up", 1.0 + s), ("down", 1.0 - s)):
                out.append({**base, budget: base[budget] * k, "_name": f"{budget}_{name}"})
        rivals = [f for f in firms if f is not firm]
        if rivals:
            leader = max(rivals, key=lambda f: (self.watch.gain(f.index), -f.index))
            extra, match = 0.0, dict(base)
            for lever in MATCHABLE_LEVERS:
                own = lever_settings(firm, lever)
                for key, v in lever_settings(leader, lever).items():
                    if v > own.get(key, 0.0):
                        match[key] = v
                        extra += _extra_cost(firm, key, own.get(key, 0.0), v)
            if match != base:
                loss = (leader.churned + leader.ended_by_firm) / max(leader.customers_at_start, 1.0)
                out.append({**match, "_name": "match_leader", "_extra": extra, "_loss": loss})
        return out

    def forecast(self, firm: Firm, c: dict[str, float]) -> float:
        """Forecast profit over the next ``review`` steps of candidate ``c`` (see the class docstring)."""
        r, hist = self.r, self.history
        n_hist = sum(h[0] for h in hist) or 1.0
        m = sum(h[3] for h in hist) / n_hist
        h0 = sum(h[2] for h in hist) / n_hist
        acq0 = sum(h[4] for h in hist) / len(hist)
        ret0 = sum(h[5] for h in hist) / len(hist)
        won = sum(h[1] for h in hist) / len(hist)
        acq, ret = c["acquisition"], c["retention"]
        a = won * (acq / acq0) ** r.acquisition_exponent if acq0 > 0.0 else won
        h = h0 * (ret0 / ret) ** r.retention_elasticity if ret0 > 0.0 and ret > 0.0 else h0
        if "_loss" in c:
            h = min(h, c["_loss"])
        h = min(1.0, h)
        n, total = firm.customers, 0.0
        for _ in range(r.review):
            total += m * n - acq - ret - c.get("_extra", 0.0)
            n = n * (1.0 - h) + a
        return total


def _extra_cost(firm: Firm, key: str, own: float, new: float) -> float:
    """Extra cost per step of raising a lever setting from ``own`` to ``new`` (a forecast, not booked)."""
    if key == "rebate":  # revenue given back
        return (new - own) * firm.revenue
    if key == "relationship_level":  # D4: the level's cost per customer-step
        cost = firm.model.config.dynamics.levers.level_cost
        return (cost[int(new)] - cost[int(own)]) * firm.customers
    return new - own  # a spend per step


Policy = CopyFinancial | Match | Undercut | BestResponse


def policy_for(config: FirmConfig) -> Policy | None:
    """The reaction policy of a firm, or None when it ignores its rivals."""
    r = config.reaction
    if config.levers.copy_financial.enabled:  # the older switch (it cannot be combined with a reaction)
        return CopyFinancial(config.levers.copy_financial.lag)
    if r.policy == "match":
        return Match(r)
    if r.policy == "undercut":
        return Undercut(r)
    if r.policy == "best_response":
        return BestResponse(r)
    return None
