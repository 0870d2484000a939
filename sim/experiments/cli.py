"""``sim compare``, ``sim sweep`` and ``sim results``: expand an experiment, run what is not on disk yet
(serial, process pool or Dask), store each run as it finishes, then write the report."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from sim.experiments.cli_sequential import add_sequential, sequential_options

__all__ = ["add_parsers", "cmd_experiment", "cmd_results", "MAX_RUNS", "count_runs", "metric_help", "check_metric"]

MAX_RUNS = 10_000  # larger experiments need --yes: a typo in samples: must not start hours of silent work


def count_runs(exp: Any) -> tuple[int, str]:
    """How many runs an experiment means, and how that number arises — without expanding it."""
    if exp.kind == "compare":
        arms, what = 1 + len(exp.strategies), "strategies"
        if exp.futures:  # every strategy in each future
            runs = arms * exp.futures * exp.replications
            return runs, f"{arms:,} strategies x {exp.futures:,} futures x {exp.replications:,} replications = {runs:,} runs"
        if exp.reactions:  # every strategy again under each reaction of the rivals
            what = f"strategies x {len(exp.reactions)} rival reactions"
            runs = arms * len(exp.reactions) * exp.replications
            return runs, f"{arms:,} {what} x {exp.replications:,} replications = {runs:,} runs"
    else:
        from sim.experiments.design import size

        arms, what = size(exp), "design points"
    runs = arms * exp.replications
    return runs, f"{arms:,} {what} x {exp.replications:,} replications = {runs:,} runs"


def metric_help(text: str, where: str, names: tuple[str, ...] | None = None) -> str:
    """A subcommand's description: ``text``, then the run metrics with their plain labels and units (from the
    glossary) that ``where`` accepts, wrapped to 80 columns."""
    import textwrap

    from sim.output.glossary import RUN_METRICS, metric_lines

    head = f"Metric names for {where}, with label and unit (money in the scenario's currency, time in its steps):"
    return "\n".join([textwrap.fill(text, 79), "", textwrap.fill(head, 79), *metric_lines(names or RUN_METRICS, 79)])


def check_metric(name: str | None, option: str = "--metric") -> str | None:
    """``name`` if it is a run metric, else a one-line error naming the option and the closest names."""
    from sim.output.glossary import RUN_METRICS, unknown_metric
    from sim.scenario import ScenarioError

    if name is not None and name not in RUN_METRICS:
        raise ScenarioError(f"{option} {name}: {unknown_metric(name)}")
    return name


def _add_metric(p: Any, what: str) -> None:
    p.add_argument("--metric", default=None, metavar="NAME", help=f"{what} (a metric name listed above)")


def add_parsers(sub: Any) -> None:
    for kind, text, example, keys in (
        (
            "compare",
            "compare strategies over many replications (common random numbers)",
            "retention_strategies",
            "--metric and an experiment file's metrics:",
        ),
        (
            "sweep",
            "sweep parameters over a design (grid, LHS, Sobol, Morris) with SALib",
            "bond_sweep",
            "--metric and an experiment file's outputs:",
        ),
    ):
        p = sub.add_parser(kind, help=text, description=metric_help(f"{text[0].upper()}{text[1:]}.", keys))
        p.add_argument("experiment", help=f"library experiment name (e.g. {example}) or experiment YAML file of kind {kind}")
        p.add_argument("--replications", type=int, default=None, help="replications per strategy / design point")
        p.add_argument(
            "--workers",
            type=int,
            default=None,
            help="local worker processes, or the size of a --scheduler local cluster (default: CPU count)",
        )
        p.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="Dask scheduler tcp://HOST:PORT (its workers run the runs), or 'local' for a LocalCluster",
        )
        p.add_argument(
            "--out", default=None, help="results folder (default: results/<experiment name>; re-running resumes it)"
        )
        p.add_argument(
            "--set",
            dest="sets",
            action="append",
            metavar="KEY=VALUE",
            help="scenario override applied to every run, e.g. --set population.size=10000",
        )
        p.add_argument(
            "--max-runs",
            type=int,
            default=MAX_RUNS,
            metavar="N",
            help=f"refuse an experiment of more than N runs unless --yes (default: {MAX_RUNS:,})",
        )
        p.add_argument("--yes", action="store_true", help="run an experiment larger than --max-runs")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        _add_metric(
            p,
            "also print this metric per strategy, with its interval and the difference vs the baseline"
            if kind == "compare"
            else "print this metric per design point (default: the experiment's outputs)",
        )
        if kind == "compare":
            add_sequential(p)
            p.add_argument(
                "--uncertainty",
                action="store_true",
                help="draw the assumed parameters from their declared ranges, one draw per replication shared "
                "by every strategy (default: all assumptions; the experiment's uncertainty: key chooses)",
            )
    text = "summarise a results folder: an experiment (finished or partial) or a sim run"
    r = sub.add_parser("results", help=text, description=metric_help(f"S{text[1:]}.", "--metric"))
    r.add_argument("folder", help="a folder written by sim compare, sim sweep or sim run")
    _add_metric(r, "print this metric per strategy (compare) or per design point (sweep)")


def cmd_experiment(kind: str, args: argparse.Namespace, fail: Any) -> int:
    from sim.experiments import store
    from sim.experiments.recording import experiment_meta
    from sim.experiments.spec import expand, experiment_hash, load_experiment
    from sim.scenario import ScenarioError, parse_set_options

    try:
        exp, base = load_experiment(args.experiment, parse_set_options(args.sets), args.replications)
        if exp.kind != kind:
            raise ScenarioError(f"{args.experiment}: kind: this is a {exp.kind} experiment; use sim {exp.kind}")
        if getattr(args, "uncertainty", False):
            exp = _with_uncertainty(exp, args.experiment)
        if args.max_runs < 1:
            raise ScenarioError(f"--max-runs {args.max_runs}: must be at least 1")
        check_metric(args.metric)
        seq = sequential_options(args, exp) if kind == "compare" else None
        first = exp
        if seq is not None:  # every run up to the cap is expanded; the rounds choose among them
            exp = exp.model_copy(update={"replications": seq["max_n"]})
        runs, size = count_runs(exp)
        if runs > args.max_runs and not args.yes:
            raise ScenarioError(
                f"{args.experiment}: {size}, over the cap of {args.max_runs:,} (--max-runs); "
                "pass --yes to run them all, or shrink the design"
            )
        # before expanding: a large design takes a while to resolve
        print(f"{exp.name}: {'at most ' * (seq is not None)}{size}", flush=True)
        specs, design = expand(exp, base, args.experiment)
        if args.workers is not None and args.workers < 1:
            raise ScenarioError(f"--workers {args.workers}: must be at least 1")
        if args.workers is not None and args.scheduler not in (None, "local"):
            raise ScenarioError("--workers: the cluster at --scheduler decides its own workers")
        meta = experiment_meta(first)
        if seq is not None:
            meta["sequential_options"] = {**seq, "first_round": first.replications}
        if specs:  # what the report needs of the scenario: the currency and the time step (glossary units)
            sc0 = specs[0].scenario
            meta.update(currency=sc0.get("currency", ""), steps_per_year=sc0.get("steps_per_year", 52.0), steps=sc0["steps"])
    except ScenarioError as err:
        return fail(str(err))
    from sim.experiments.execute import SchedulerUnavailable, connect

    with contextlib.ExitStack() as stack:
        try:  # reach the cluster before writing anything; then lock the folder for this process alone
            client = stack.enter_context(connect(args.scheduler, args.workers or 1)) if args.scheduler else None
            variant = folder_variant(args)
            folder, _, lock = store.prepare(
                Path(args.out) if args.out else None,
                Path("results") / exp.name,
                experiment_hash(exp, specs),
                {**meta, "folder_variant": variant},
                variant,
            )
            stack.enter_context(lock)
        except (SchedulerUnavailable, store.FolderError) as err:
            return fail(str(err))
        try:
            return _run(kind, args, exp, specs, design, meta, folder, client)
        except OSError as err:  # a full disk, a folder gone read-only: run files are atomic, so resuming is safe
            reason = err.strerror or err.__class__.__name__
            return fail(f"{folder}: cannot write the results ({reason}); the complete runs are kept, run again to resume")


def folder_variant(args: argparse.Namespace) -> str:
    """What this command changed, for the default folder's name when the plain one holds another experiment:
    ``--set population.size=5000 --replications 4`` -> ``size5000-reps4``."""
    import re

    parts = [f"{k.split('.')[-1]}{v}" for k, _, v in (s.partition("=") for s in args.sets or [])]
    if args.replications is not None:
        parts.append(f"reps{args.replications}")
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", "-".join(parts))[:80]


def _run(
    kind: str, args: argparse.Namespace, exp: Any, specs: list, design: Any, meta: dict, folder: Path, client: Any
) -> int:
    from sim.experiments.execute import default_workers, execute
    from sim.experiments.recording import Recorder, runs_to_do

    workers = args.workers or default_workers()
    backend = f"Dask {args.scheduler}" if args.scheduler else (f"{workers} worker processes" if workers > 1 else "serial")
    record = Recorder(folder)
    failures = record.failures

    def run_todo(todo: list, what: str = "") -> int:
        """Run ``todo`` (with a progress bar unless --quiet); how many runs failed."""
        before = len(failures)
        if args.quiet or not todo:
            execute(todo, record, workers, args.scheduler, client)
            return len(failures) - before
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ) as bar:
            task = bar.add_task(f"{exp.name} {what}".strip(), total=len(todo))

            def step(spec: Any, table: Any, err: str) -> None:
                record(spec, table, err)
                bar.advance(task)

            execute(todo, step, workers, args.scheduler, client)
        return len(failures) - before

    t0 = time.perf_counter()
    seq = meta.get("sequential_options")
    if seq is not None:  # rounds of replications (issue 18); resumes by replaying the rounds over the runs on disk
        from sim.experiments.sequential import RunsFailed, write_record
        from sim.experiments.sequential import drive as sequential

        print(f"{exp.name}: sequential replications, {backend} -> {folder}/", flush=True)
        options = {k: v for k, v in seq.items() if k != "first_round"}
        try:
            result, keys = sequential(specs, folder, exp.firm, exp.baseline.name, seq["first_round"], run_todo, **options)
        except RunsFailed as err:
            print(str(err))
            return 1
        write_record(folder, result, keys)
        print(f"{exp.name}: stopped ({result.stopped}): {sum(result.counts().values())} runs", flush=True)
    else:
        todo, damaged = runs_to_do(folder, specs)
        if damaged:
            print(f"{damaged} damaged run files (unreadable or incomplete) are redone", flush=True)
        on_disk = len(specs) - len(todo)
        print(f"{exp.name}: {len(specs)} runs ({on_disk} already on disk), {backend} -> {folder}/", flush=True)
        (folder / "sequential.json").unlink(missing_ok=True)  # a fixed run: its decision says so
        run_todo(todo)
        keys = {s.key for s in specs}
    elapsed = time.perf_counter() - t0
    from sim.experiments import report, tables

    if kind == "compare":
        out = report.compare_report(folder, meta, keys)
        tables.print_ranking(out.get("ranking"), out.get("rank_changes"), meta)
        if args.metric is not None and out.get("runs"):
            tables.print_metric(folder, keys, meta, args.metric)
    else:
        problem, X = design
        out = report.sweep_report(folder, meta, keys, exp, problem, X)
        _sweep_tables(folder, meta, keys, out.get("table"), args.metric)
    print(
        f"{record.ran} runs in {elapsed:.1f} s; {len(failures)} failed"
        f"{' (see failures.csv)' if failures else ''}; report: {folder}/report.md"
    )
    return 1 if failures else 0


def _with_uncertainty(exp: Any, where: str) -> Any:
    """The experiment with parameter uncertainty on (``--uncertainty``); its own ``uncertainty:`` if any."""
    from sim.experiments.uncertainty import UncertaintySpec
    from sim.scenario import ScenarioError

    if exp.futures is not None:
        raise ScenarioError(f"{where}: --uncertainty: an experiment with futures declares its uncertainties itself")
    return exp if exp.uncertainty is not None else exp.model_copy(update={"uncertainty": UncertaintySpec()})


def cmd_results(args: argparse.Namespace, fail: Any) -> int:
    import pandas as pd

    from sim.experiments import store
    from sim.scenario import ScenarioError

    try:
        check_metric(args.metric)
    except ScenarioError as err:
        return fail(str(err))
    folder = Path(args.folder)
    if not (folder / "experiment.json").exists() and (folder / "summary.json").is_file():
        from sim.output.run import print_summary  # a sim run folder

        try:
            print_summary(folder)
            if args.metric is not None:
                _print_run_metric(folder, args.metric)
        except (OSError, ValueError, KeyError, TypeError) as err:
            return fail(f"{folder / 'summary.json'}: unreadable ({type(err).__name__}: {err})")
        return 0
    try:
        meta = store.read_meta(folder)
    except store.NotAnExperiment as err:
        return fail(str(err))
    keys = store.completed(folder)  # damaged run files are left out
    if (folder / "sequential.json").exists():  # a sequential compare: the runs its rounds used
        import json

        keys &= set(json.loads((folder / "sequential.json").read_text()).get("keys", keys))
    n = len(keys)
    failed = (folder / "failures.csv").exists()
    print(
        f"{meta['name']} ({meta['kind']}), created {meta.get('created', '?')}: {n} runs on disk"
        f"{', some failed (failures.csv)' if failed else ''}"
    )
    if meta["kind"] == "compare" and n:
        from sim.experiments import report, tables

        out = report.compare_report(folder, meta, keys)
        tables.print_ranking(out.get("ranking"), out.get("rank_changes"), meta)
        if args.metric is not None:
            tables.print_metric(folder, keys, meta, args.metric)
        print(f"report: {folder}/report.md")
    elif meta["kind"] == "sweep" and n:
        table = pd.read_csv(folder / "sweep.csv", index_col="point") if (folder / "sweep.csv").is_file() else None
        _sweep_tables(folder, meta, keys, table, args.metric)
        print(f"report: {folder}/report.md")
    return 0


def _print_run_metric(folder: Path, metric: str) -> None:
    """One headline metric of a sim run folder, per firm, with its label and unit."""
    import json

    from sim.output import glossary as G
    from sim.output.numbers import human

    summary = json.loads((folder / "summary.json").read_text())
    spy = summary.get("resolved_scenario", {}).get("steps_per_year", 52.0)
    cur = summary.get("resolved_scenario", {}).get("currency", "")
    print(f"{G.label_with_unit(metric, cur, spy)}:")
    for name, m in summary["firms"].items():
        value = m.get(metric)
        print(f"  {name:<16}{'n/a' if value is None else human(value):>12}")


def _sweep_tables(folder: Path, meta: dict[str, Any], keys: set[str], table: Any, metric: str | None) -> None:
    """The sweep's table per output (or of ``metric`` alone, computed from the runs when the sweep did not
    report it), then its sensitivity indices when every design point is complete."""
    from sim.experiments import tables

    outputs = [metric] if metric is not None else list(meta["outputs"])
    if table is None or any(o not in table.columns for o in outputs):  # from the runs on disk
        from sim.experiments import stats, store
        from sim.experiments.sweep_report import point_table

        runs = stats.per_run(store.read_runs(folder, keys, firm=meta["firm"]))
        params = [p["name"] for p in meta["parameters"]]
        X = runs.groupby("point")[[f"param:{p}" for p in params]].first().sort_index()
        table = point_table(runs, X.to_numpy(), params, outputs).set_axis(X.index, axis=0)
    tables.print_sweep(table, meta, outputs)
    tables.print_indices(folder, meta, outputs)
