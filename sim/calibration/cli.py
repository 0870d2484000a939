"""The ``sim calibrate`` subcommand: its arguments and what it does (called lazily from ``sim/cli.py``)."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["add_parser", "cmd_calibrate"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "calibrate",
        help="fit a transaction log (BG/NBD, Pareto/NBD, Gamma-Gamma), write a calibrated scenario and a holdout backtest",
    )
    c.add_argument("log", help="transaction log: CSV, whitespace-separated text or Parquet, one row per transaction")
    c.add_argument("--customer", default="customer", help="customer id column (default: customer)")
    c.add_argument("--date", default="date", help="date column (default: date)")
    c.add_argument("--amount", default=None, help="amount column (optional; spend model and wallets need it)")
    c.add_argument("--names", default=None, help="comma-separated column names for a file without a header row")
    c.add_argument("--date-format", default=None, help="strptime format of the dates, e.g. %%Y%%m%%d (default: inferred)")
    c.add_argument("--calibration-end", required=True, help="last day of the calibration period (YYYY-MM-DD)")
    c.add_argument("--holdout-end", default=None, help="last day of the holdout (default: the log's last date)")
    c.add_argument("--base", default="baseline", help="scenario the calibrated one extends (default: baseline)")
    c.add_argument(
        "--process",
        default="auto",
        choices=("auto", "bgnbd", "pareto_nbd"),
        help="purchase/dropout process the engine runs (auto: the better calibration log-likelihood)",
    )
    c.add_argument("--step", default="week", choices=("week", "day"), help="the engine's time step (default: week)")
    c.add_argument("--reps", type=int, default=30, help="engine replications in the backtest (default: 30)")
    c.add_argument(
        "--value-years",
        type=float,
        default=10.0,
        help="horizon of each customer's expected residual value, the portfolio's forward value (default: 10 years)",
    )
    c.add_argument("--name", default="calibrated", help="name of the calibrated scenario (default: calibrated)")
    c.add_argument("--out", default=None, help="results folder (default: results/calibration, never overwritten)")
    c.add_argument("--force", action="store_true", help="replace an existing non-empty --out folder")
    c.add_argument("--quiet", action="store_true", help="no progress bar or summary table")


def cmd_calibrate(args: argparse.Namespace, fail: Callable[[str], int]) -> int:
    """Exit 0 with the results folder written, or 2 with one line on stderr and nothing written."""
    from sim.calibration.logs import CalibrationError
    from sim.calibration.run import Options, prepare, write_results
    from sim.output.run import OutputError, check_output_dir, fresh_dir, write_atomically
    from sim.scenario import ScenarioError

    out = Path(args.out) if args.out else fresh_dir(Path("results") / "calibration")
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    opts = Options(
        log=Path(args.log),
        customer=args.customer,
        date=args.date,
        calibration_end=args.calibration_end,
        amount=args.amount,
        names=names,
        date_format=args.date_format,
        holdout_end=args.holdout_end,
        base=args.base,
        process=args.process,
        step=args.step,
        reps=args.reps,
        name=args.name,
        value_years=args.value_years,
        command="sim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["calibrate"] else "",
    )
    try:
        check_output_dir(out, args.force)
        prepared = prepare(opts)
    except (CalibrationError, ScenarioError, OutputError) as err:
        return fail(str(err))
    result = {}

    def write(tmp: Path) -> None:
        if args.quiet:
            result["bt"] = write_results(prepared, tmp)
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} runs"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            n = len(prepared.summary.customers)
            task = bar.add_task(f"backtest ({n:,} customers, {prepared.scenario.steps} steps)", total=opts.reps)
            result["bt"] = write_results(prepared, tmp, progress=lambda k: bar.advance(task, k))

    try:
        write_atomically(out, args.force, write)
    except (OutputError, ScenarioError) as err:
        return fail(str(err))
    if not args.quiet:
        _print_table(result["bt"].metrics(), out)
    return 0


def _print_table(m: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sim calibrate -> {out}/  (holdout repeat transactions)")
    for col in ("forecast", "holdout total", "error", "per-customer correlation"):
        table.add_column(col)
    table.add_row("actual", f"{m['actual_holdout']:,.0f}", "", "")
    for key, label in (("engine", "engine (mean)"), ("bgnbd", "BG/NBD"), ("pareto_nbd", "Pareto/NBD")):
        table.add_row(label, f"{m[key]['holdout']:,.0f}", f"{m[key]['error']:+.1%}", f"{m[key]['correlation']:.3f}")
    Console().print(table)
