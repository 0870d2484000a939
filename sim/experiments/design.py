"""Sweep designs and sensitivity indices — SALib does the sampling and the analysis (not re-implemented).

grid: the full factorial of every parameter's ``values``; lhs: Latin hypercube (SALib.sample.latin);
sobol: Saltelli/Sobol' sequence (SALib.sample.sobol) analysed with SALib.analyze.sobol (first-order and
total indices with confidence intervals); morris: elementary effects (SALib.sample.morris,
SALib.analyze.morris: mu*, sigma).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

__all__ = ["problem_of", "size", "sample", "analyze"]


def problem_of(exp: Any) -> dict[str, Any]:
    params = exp.parameters
    bounds = [[p.low, p.high] if p.low is not None else [min(p.values), max(p.values)] for p in params]
    return {"num_vars": len(params), "names": [p.name for p in params], "bounds": bounds}


def size(exp: Any) -> int:
    """The number of design points ``sample`` would return, computed without sampling (a 10**7-point grid
    or a Sobol design of N = 10**6 is counted in microseconds, so it can be told and capped up front)."""
    d, k = exp.design, len(exp.parameters)
    if d.method == "grid":
        return math.prod(len(p.values) for p in exp.parameters)
    if d.method == "lhs":
        return d.samples
    if d.method == "sobol":  # Saltelli: N (2k + 2) with second-order indices, N (k + 2) without
        return d.samples * (2 * k + 2 if d.second_order else k + 2)
    return d.samples * (k + 1)  # morris: trajectories of k + 1 points


def sample(exp: Any) -> tuple[dict[str, Any], np.ndarray]:
    problem = problem_of(exp)
    d = exp.design
    if d.method == "grid":
        X = np.array(list(itertools.product(*[p.values for p in exp.parameters])), dtype=np.float64)
    elif d.method == "lhs":
        from SALib.sample import latin

        X = latin.sample(problem, d.samples, seed=d.seed)
    elif d.method == "sobol":
        from SALib.sample import sobol

        X = sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=d.seed)
    else:
        from SALib.sample import morris

        X = morris.sample(problem, d.samples, num_levels=d.levels, seed=d.seed)
    return problem, X


def analyze(exp: Any, problem: dict[str, Any], X: np.ndarray, Y: np.ndarray) -> list[dict[str, Any]]:
    """Sensitivity indices of one output ``Y`` (one value per design point), one dict per parameter."""
    d = exp.design
    names = problem["names"]
    if d.method == "sobol":
        from SALib.analyze import sobol

        s = sobol.analyze(problem, Y, calc_second_order=d.second_order, seed=d.seed)
        return [
            {"parameter": n, "S1": s["S1"][i], "S1_conf": s["S1_conf"][i], "ST": s["ST"][i], "ST_conf": s["ST_conf"][i]}
            for i, n in enumerate(names)
        ]
    if d.method == "morris":
        from SALib.analyze import morris

        s = morris.analyze(problem, X, Y, num_levels=d.levels, seed=d.seed)
        return [
            {
                "parameter": n,
                "mu_star": s["mu_star"][i],
                "mu_star_conf": s["mu_star_conf"][i],
                "sigma": s["sigma"][i],
                "mu": s["mu"][i],
            }
            for i, n in enumerate(names)
        ]
    # grid / lhs: standardised regression coefficients as a simple, honest ranking (not Sobol indices)
    Xs = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    ys = (Y - Y.mean()) / (Y.std() if Y.std() > 0 else 1.0)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(ys)), Xs]), ys, rcond=None)
    return [{"parameter": n, "src": coef[i + 1]} for i, n in enumerate(names)]
