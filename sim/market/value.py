"""Customer delivered value (D6, D7): total customer value minus total customer cost, per segment and firm.

    value[s, f] = sum_k wv[s, k] * quality[f, k]  -  sum_k wc[s, k] * cost[f, k]

with the value components product, service, personnel and image (each on [0, 1]) and the cost
components price (an index, 1 = the market's reference price), time, energy and psychic cost (on [0, 1]).
The weights differ by segment (D6: age, income, social condition).
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Offer, Segment

__all__ = ["VALUE_KEYS", "COST_KEYS", "offer_matrix", "delivered_value", "best_rival"]

VALUE_KEYS = ("product", "service", "personnel", "image")
COST_KEYS = ("price", "time", "energy", "psychic")


def offer_matrix(offers: list[Offer]) -> np.ndarray:
    """``[F, 8]``: the four value components then the four cost components of each offer."""
    return np.array([[getattr(o, k) for k in (*VALUE_KEYS, *COST_KEYS)] for o in offers], dtype=np.float64)


def weight_matrices(segments: list[Segment]) -> tuple[np.ndarray, np.ndarray]:
    wv = np.array([[getattr(s.value_weights, k) for k in VALUE_KEYS] for s in segments], dtype=np.float64)
    wc = np.array([[getattr(s.cost_weights, k) for k in COST_KEYS] for s in segments], dtype=np.float64)
    return wv, wc


def delivered_value(wv: np.ndarray, wc: np.ndarray, offers: np.ndarray) -> np.ndarray:
    """``[S, F]`` delivered value of each firm's offer to each segment (D6)."""
    return wv @ offers[:, :4].T - wc @ offers[:, 4:].T


def best_rival(value: np.ndarray, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each segment and firm: the rival with the highest delivered value (-1 if none; the first of
    equals) and the gap by which it beats the firm (>= 0). ``allowed[g]`` False removes firm g as a
    destination. Vectorised over firms (one [F, S, F] stack): it runs every step."""
    n_seg, n_firms = value.shape
    firms = np.arange(n_firms)
    others = np.repeat(value[None], n_firms, axis=0)  # others[f, s, g]: firm f's rivals g
    if allowed is not None:
        others[:, :, ~allowed] = -np.inf
    others[firms, :, firms] = -np.inf
    g = others.argmax(axis=2)  # [F, S]
    ok = np.isfinite(np.take_along_axis(others, g[:, :, None], axis=2)[:, :, 0])
    gap = np.where(ok, np.maximum(0.0, value[np.arange(n_seg), g] - value.T), 0.0)
    return np.where(ok, g, -1).T.copy(), gap.T.copy()
