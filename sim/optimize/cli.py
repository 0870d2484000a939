"""``sim optimize``: read the optimisation file, check everything before writing, then run the study,
the re-evaluation and the report (``sim.optimize.run``)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "cmd_optimize"]


def add_parser(sub: Any) -> None:
    from sim.experiments.cli import metric_help
    from sim.optimize import OBJECTIVES

    text = "split a relationship budget across levers with Optuna (the engine as response function)"
    where = "an optimisation file's objectives (- metric: NAME)"
    p = sub.add_parser("optimize", help=text, description=metric_help(f"S{text[1:]}.", where, OBJECTIVES))
    p.add_argument("optimization", help="library experiment name (e.g. budget_split) or optimisation YAML file")
    p.add_argument("--trials", type=int, default=None, help="trials in all (default: the file's; more extends a study)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster"
    )
    p.add_argument("--out", default=None, help="output folder (default: results/<name>; re-running resumes it)")
    p.add_argument("--set", dest="sets", action="append", metavar="KEY=VALUE", help="scenario override for every run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_optimize(args: argparse.Namespace, fail: Any) -> int:
    from sim.experiments import store
    from sim.experiments.execute import SchedulerUnavailable, connect, default_workers, kept_pools
    from sim.optimize.run import check, identity, meta_of, run
    from sim.optimize.spec import load_optimization
    from sim.scenario import ScenarioError, parse_set_options

    try:
        opt, base = load_optimization(args.optimization, parse_set_options(args.sets))
        if args.trials is not None:
            if args.trials < 1:
                raise ScenarioError(f"--trials {args.trials}: must be at least 1")
            opt = opt.model_copy(update={"trials": args.trials})
        if args.workers is not None and args.workers < 1:
            raise ScenarioError(f"--workers {args.workers}: must be at least 1")
        if args.workers is not None and args.scheduler not in (None, "local"):
            raise ScenarioError("--workers: the cluster at --scheduler decides its own workers")
        shipped = check(opt, base, args.optimization)  # every scenario and key resolves before anything is written
    except ScenarioError as err:
        return fail(str(err))
    workers = args.workers or default_workers()
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(connect(args.scheduler, workers)) if args.scheduler else None
            stack.enter_context(kept_pools())  # the study, final and marginal runs share the worker processes
            folder, _, lock = store.prepare(
                Path(args.out) if args.out else None, Path("results") / opt.name, identity(opt), meta_of(opt)
            )
            stack.enter_context(lock)
            with contextlib.suppress(OSError):  # store.prepare's run folder: this folder keeps none of its own
                (folder / "runs").rmdir()
        except (SchedulerUnavailable, store.FolderError) as err:
            return fail(str(err))
        try:
            return run(opt, base, folder, shipped, workers, args.scheduler, client, quiet=args.quiet)
        except OSError as err:
            reason = err.strerror or err.__class__.__name__
            return fail(f"{folder}: cannot write the results ({reason}); run again to resume")
