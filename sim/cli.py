"""The ``sim`` command. Heavy libraries (Mesa, numba, pandas) are imported only inside commands,
so ``sim --help`` stays fast. Bad input: one line on stderr naming the file and field, exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


# Two runnable examples per subcommand, shown under its --help (tests/test_cli_friendly.py parses each
# one and runs the cheap ones). A new subcommand adds its entry here.
EPILOGS = {
    "run": """examples:
  sim run baseline --seed 7 --steps 52 --set population.size=5000
  sim run loyalty_program --set firms.focal.budget.retention=2500 --out results/loyalty""",
    "validate": """examples:
  sim validate                 # the quick subset the test suite runs
  sim validate --full --out results/validation-full""",
    "compare": """examples:
  sim compare retention_strategies --replications 4 --set population.size=5000
  sim compare teaching_bonds --workers 2 --metric churn_rate  # the bonds' churn""",
    "sweep": """examples:
  sim sweep bond_sweep --replications 1 --set population.size=5000
  sim sweep sensitivity --workers 2""",
    "results": """examples:
  sim results results/retention_strategies     # a compare or sweep folder
  sim results results/baseline-seed0           # a sim run folder
  sim results results/bond_sweep --metric churn_rate   # any metric per point""",
    "calibrate": """examples:
  sim calibrate transactions.csv --customer id --date date --amount amount --calibration-end 2025-06-30
  sim calibrate log.txt --names customer,date,units,amount --date-format %Y%m%d --calibration-end 1997-09-30""",
    "optimize": """examples:
  sim optimize budget_split --workers 2    # a weekly budget across eight levers
  sim optimize budget_pareto --trials 48   # profit vs share: the Pareto front""",
    "glossary": """examples:
  sim glossary               # every metric and column: label, unit, definition
  sim glossary retention     # the entries whose name or label holds retention""",
    "dashboard": """examples:
  sim dashboard
  sim dashboard social_bonds --port 8800""",
}


def _version() -> str:
    """``sim X.Y.Z (Python A.B.C, numba N)``, read from the installed metadata (no numba import)."""
    import platform
    from importlib import metadata

    def of(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    return f"sim {of('sim')} (Python {platform.python_version()}, numba {of('numba')})"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sim", description="Relationship-marketing simulation engine.")
    ap.add_argument("--version", action="version", version=_version())
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("run", help="run one scenario and write its results folder")
    r.add_argument("scenario", help="library scenario name (e.g. baseline) or scenario YAML file")
    r.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical results)")
    r.add_argument("--steps", type=int, default=None, help="number of steps (weeks); default: the scenario's")
    r.add_argument("--out", default=None, help="results folder (default: results/<scenario>-seed<N>)")
    r.add_argument(
        "--set",
        dest="sets",
        action="append",
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set population.size=5000 (repeatable)",
    )
    r.add_argument("--force", action="store_true", help="replace an existing non-empty results folder")
    r.add_argument("--threads", type=int, default=None, help="numba threads (default: all cores)")
    r.add_argument("--debug", action="store_true", help="check invariants after every step")
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    v = sub.add_parser("validate", help="check the engine against known models and the documents' figures")
    v.add_argument("--full", action="store_true", help="full sizes and tolerances (minutes); default: quick subset")
    v.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    v.add_argument(
        "--out",
        default=None,
        help="folder for validation.json and figures (default: results/validation[-full], never overwritten)",
    )
    v.add_argument("--force", action="store_true", help="replace an existing non-empty --out folder")
    from sim.experiments.cli import add_parsers

    add_parsers(sub)
    from sim.calibration.cli import add_parser as add_calibrate

    add_calibrate(sub)
    from sim.optimize.cli import add_parser as add_optimize

    add_optimize(sub)
    g = sub.add_parser("glossary", help="what every metric and column of the outputs means: label, unit, definition")
    g.add_argument("word", nargs="?", default=None, help="show only the entries whose name or label holds WORD")
    d = sub.add_parser("dashboard", help="the interactive classroom dashboard (Solara, one market per page) in the browser")
    d.add_argument(
        "scenario", nargs="?", default=None, help="library scenario name or scenario YAML file (default: baseline)"
    )
    d.add_argument("--port", type=int, default=8765)
    d.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    for name, p in sub.choices.items():  # examples under every subcommand's --help
        p.formatter_class = argparse.RawDescriptionHelpFormatter
        p.epilog = EPILOGS.get(name, p.epilog)
    return ap


def _fail(msg: str) -> int:
    print(f"sim: error: {msg}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run one command; Ctrl-C anywhere prints one line and exits 130 (each command's writes clean
    up their temporary files on the way out)."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("sim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`sim glossary | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _cmd_run(args)
    if args.command == "validate":
        return _cmd_validate(args)
    if args.command in ("compare", "sweep"):
        from sim.experiments.cli import cmd_experiment

        return cmd_experiment(args.command, args, _fail)
    if args.command == "dashboard":
        return _cmd_dashboard(args)
    if args.command == "calibrate":
        from sim.calibration.cli import cmd_calibrate

        return cmd_calibrate(args, _fail)
    if args.command == "optimize":
        from sim.optimize.cli import cmd_optimize

        return cmd_optimize(args, _fail)
    if args.command == "glossary":
        return _cmd_glossary(args)
    if args.command == "results":
        from sim.experiments.cli import cmd_results

        return cmd_results(args, _fail)
    return _fail(f"unknown command {args.command}")  # pragma: no cover


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.output.run import OutputError, check_output_dir, fresh_dir
    from sim.scenario import ScenarioError, load_scenario, parse_set_options

    if args.seed < 0:
        return _fail(f"--seed {args.seed}: must be a non-negative integer")
    try:
        overrides = parse_set_options(args.sets)
        if args.steps is not None:
            overrides["steps"] = args.steps
        scenario = load_scenario(args.scenario, overrides)
        out = Path(args.out) if args.out else fresh_dir(Path("results") / f"{scenario.name}-seed{args.seed}")
        check_output_dir(out, args.force)
    except (ScenarioError, OutputError) as err:
        return _fail(str(err))
    if args.threads is not None:
        if args.threads < 1:
            return _fail(f"--threads {args.threads}: must be at least 1")
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))

    try:
        _run_with_progress(args, scenario, out)
    except (ScenarioError, OutputError) as err:  # e.g. a population that cannot fit in memory
        return _fail(str(err))
    if not args.quiet:
        _print_summary(out)
    return 0


def _run_with_progress(args: argparse.Namespace, scenario, out: Path) -> None:
    from sim.output.run import run_scenario

    if args.quiet:
        run_scenario(scenario, args.seed, out, force=args.force, debug=args.debug)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} weeks"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"{scenario.name} ({scenario.population.size:,} customers)", total=scenario.steps)
        run_scenario(scenario, args.seed, out, force=args.force, debug=args.debug, progress=lambda k: bar.advance(task, k))


def _cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 if every check passes, 1 if any fails (2 on bad input)."""
    from sim.output.run import OutputError, check_output_dir, fresh_dir, strict_json, versions, write_atomically

    base = Path("results") / ("validation-full" if args.full else "validation")
    out = Path(args.out) if args.out else fresh_dir(base)
    try:
        check_output_dir(out, args.force)
    except OutputError as err:
        return _fail(str(err))
    from sim.validation.checks import CHECKS, run_checks, write_figures

    if args.json:
        checks = run_checks(full=args.full)
    else:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("validating", total=len(CHECKS))
            checks = run_checks(full=args.full, progress=lambda name: bar.update(task, advance=1, description=name))
    rows = [c.row() for c in checks]
    result = {
        "mode": "full" if args.full else "quick",
        "passed": all(c.passed for c in checks),
        "checks": rows,
        "versions": versions(),
    }

    def write(tmp: Path) -> None:
        import csv

        result["figures"] = write_figures(checks, tmp)
        (tmp / "validation.json").write_text(strict_json(result, indent=2) + "\n")
        with open(tmp / "validation.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)

    try:
        write_atomically(out, args.force, write)
    except OutputError as err:
        return _fail(str(err))
    if args.json:
        print(strict_json(result, indent=2))
    else:
        from sim.validation.rows import print_table

        print_table(checks, f"sim validate ({result['mode']}) -> {out}/", f"{out}/")
    return 0 if result["passed"] else 1


def _cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve sim/dashboard/app.py with Solara; blocks until Ctrl-C, SIGINT or SIGTERM, which stop the
    ``solara run`` child too (forwarded; killed if it has not stopped within 10 s)."""
    import signal
    import subprocess

    from sim.scenario import ScenarioError, load_scenario
    from sim.scenario.loading import locate_scenario

    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no telemetry from a classroom machine (issue 23)
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # no "runs on Solara" badge over the charts
    env["SOLARA_THEME_TITLE"] = "sim dashboard"
    env["SOLARA_KERNEL_CULL_TIMEOUT"] = "2m"  # a page gone for 2 minutes frees its markets (default 24 h)
    # solara's 12-line samesite-cookie warning on plain http (lax cookies are right for this page)
    env["PYTHONWARNINGS"] = ",".join(
        w for w in (env.get("PYTHONWARNINGS"), "ignore:Cookies with samesite=none require https") if w
    )
    if args.scenario is not None:
        try:
            load_scenario(args.scenario)
        except ScenarioError as err:
            return _fail(str(err))
        env["SIM_DASHBOARD_SCENARIO"] = str(locate_scenario(args.scenario).resolve())
    if not 0 < args.port < 65536:
        return _fail(f"--port {args.port}: must be between 1 and 65535")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"sim: warning: serving on {args.host}: anyone who can reach this address can use the dashboard", file=sys.stderr
        )
    app = Path(__file__).with_name("dashboard") / "app.py"
    print(f"dashboard: http://{args.host}:{args.port}/  (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-open",
        "--no-check-version",  # solara would ask the package index for its latest version
    ]
    child = subprocess.Popen(cmd, env=env)
    stopping: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                rc = child.wait(timeout=10 if stopping else None)
                break
            except subprocess.TimeoutExpired:
                child.kill()  # it did not stop within 10 s of the signal
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return 0 if stopping else rc


def _cmd_glossary(args: argparse.Namespace) -> int:
    """The glossary of sim/output/glossary.py as a table; run metrics (those --metric takes) first."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.output import glossary as G

    names = [*G.RUN_METRICS, *(n for n in G.GLOSSARY if n not in G.RUN_METRICS)]
    if args.word is not None:
        w = args.word.lower()
        names = [n for n in names if w in n or w in G.label(n).lower()]
        if not names:
            near = G.closest(args.word, list(G.GLOSSARY))
            return _fail(f"glossary: no entry mentions {args.word!r}{'; try ' + ', '.join(near) if near else ''}")
    t = Table(box=box.SIMPLE_HEAD, title="Metrics and columns (money in the scenario's currency, time in its steps)")
    t.add_column("name", no_wrap=True)
    t.add_column("label (unit)", ratio=1)
    t.add_column("definition", ratio=1)
    for n in names:
        e = G.term(n)
        run = " *" if n in G.RUN_METRICS else ""
        what = f"{e.definition} ({e.kind})" if e.kind != "emergent" else e.definition
        t.add_row(n + run, f"{e.label} ({G.unit(n)})", what)
    Console().print(t)
    print("* a run metric: a name for --metric, metrics: / outputs: (experiments) and objectives")
    return 0


def _print_summary(out: Path) -> None:
    from sim.output.run import print_summary

    print_summary(out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
