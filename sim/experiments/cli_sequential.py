"""The flags of sequential replications on ``sim compare`` (issue 18): ``--confidence``, ``--precision``,
``--indifference``, ``--max-replications``, and their checks (one-line errors, exit 2 via ScenarioError)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_sequential", "sequential_options"]


def add_sequential(p: Any) -> None:
    """Sequential replications (issue 18): rounds of replications until a target or a cap."""
    p.add_argument(
        "--confidence",
        type=float,
        default=None,
        metavar="P",
        help="add replications in rounds until the best strategy is selected with probability P (Kim-Nelson)",
    )
    p.add_argument(
        "--precision",
        type=float,
        default=None,
        metavar="X",
        help="add replications until every paired difference's 95%% half-width is at most X x the baseline's mean",
    )
    p.add_argument(
        "--indifference",
        type=float,
        default=None,
        metavar="D",
        help="with --confidence: differences below D (metric units) do not matter (default: 1%% of the baseline)",
    )
    p.add_argument(
        "--max-replications",
        type=int,
        default=100,
        metavar="N",
        help="with --confidence/--precision: at most N replications per strategy (default: 100)",
    )


def sequential_options(args: argparse.Namespace, exp: Any) -> dict[str, Any] | None:
    """The sequential procedure's options, or None for a fixed number of replications."""
    from sim.scenario import ScenarioError

    confidence, precision = getattr(args, "confidence", None), getattr(args, "precision", None)
    if confidence is None and precision is None:
        return None
    if confidence is not None and precision is not None:
        raise ScenarioError("--confidence and --precision: give one of them")
    if confidence is not None and not 0.5 <= confidence < 1:
        raise ScenarioError(f"--confidence {confidence}: must be in [0.5, 1)")
    if precision is not None and not precision > 0:
        raise ScenarioError(f"--precision {precision}: must be positive")
    if args.indifference is not None and not args.indifference > 0:
        raise ScenarioError(f"--indifference {args.indifference}: must be positive")
    if exp.reactions:
        raise ScenarioError(f"{args.experiment}: reactions: sequential replications compare strategies without reactions")
    if exp.replications < 2:
        raise ScenarioError(f"{args.experiment}: replications: the first round needs at least 2")
    if args.max_replications < exp.replications:
        raise ScenarioError(f"--max-replications {args.max_replications}: below the first round ({exp.replications})")
    return {
        "confidence": confidence,
        "precision": precision,
        "indifference": args.indifference,
        "max_n": args.max_replications,
    }
