"""``sim compare``, ``sim sweep`` and ``sim results``: expand an experiment, run what is not on disk yet
(serial, process pool or Dask), store each run as it finishes, then write the report."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from sim.experiments.cli_sequential import add_sequential, sequential_options

__all__ = ["add_parsers", "cmd_experiment", "cmd_results", "MAX_RUNS", "count_runs"]

MAX_PRINTED_POINTS = 20  # design points printed by sim sweep (all are in sweep.csv)
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


def add_parsers(sub: Any) -> None:
    for kind, text, example in (
        ("compare", "compare strategies over many replications (common random numbers)", "retention_strategies"),
        ("sweep", "sweep parameters over a design (grid, LHS, Sobol, Morris) with SALib", "bond_sweep"),
    ):
        p = sub.add_parser(kind, help=text)
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
        if kind == "compare":
            add_sequential(p)
            p.add_argument(
                "--uncertainty",
                action="store_true",
                help="draw the assumed parameters from their declared ranges, one draw per replication shared "
                "by every strategy (default: all assumptions; the experiment's uncertainty: key chooses)",
            )
    r = sub.add_parser("results", help="summarise a results folder: an experiment (finished or partial) or a sim run")
    r.add_argument("folder", help="a folder written by sim compare, sim sweep or sim run")


def cmd_experiment(kind: str, args: argparse.Namespace, fail: Any) -> int:
    from sim.experiments import store
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
        meta = _meta(first)
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
    from sim.experiments import store
    from sim.experiments.execute import default_workers, execute, expected_rows

    workers = args.workers or default_workers()
    backend = f"Dask {args.scheduler}" if args.scheduler else (f"{workers} worker processes" if workers > 1 else "serial")
    failures: list[dict[str, Any]] = []
    ran = [0]

    def record(spec: Any, table: Any, err: str) -> None:
        ran[0] += 1
        if table is None:
            failures.append(
                {
                    "run_key": spec.key,
                    "strategy": spec.label,
                    "replication": spec.replication,
                    "seed": spec.seed,
                    "error": err,
                }
            )
            store.write_failures(folder, failures)
        else:
            store.write_run(folder, spec.key, table)

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
        done, damaged = store.check_runs(folder, {s.key: expected_rows(s) for s in specs})
        if damaged:
            print(f"{len(damaged)} damaged run files (unreadable or incomplete) are redone", flush=True)
            for p in damaged:
                p.unlink(missing_ok=True)
        todo = [s for s in specs if s.key not in done]
        on_disk = len(specs) - len(todo)
        print(f"{exp.name}: {len(specs)} runs ({on_disk} already on disk), {backend} -> {folder}/", flush=True)
        (folder / "sequential.json").unlink(missing_ok=True)  # a fixed run: its decision says so
        run_todo(todo)
        keys = {s.key for s in specs}
    elapsed = time.perf_counter() - t0
    from sim.experiments import report

    if kind == "compare":
        out = report.compare_report(folder, meta, keys)
        _print_ranking(out.get("ranking"), out.get("rank_changes"))
    else:
        problem, X = design
        out = report.sweep_report(folder, meta, keys, exp, problem, X)
        _print_sweep(out.get("table"), exp, meta)
    print(
        f"{ran[0]} runs in {elapsed:.1f} s; {len(failures)} failed"
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


def _meta(exp: Any) -> dict[str, Any]:
    from sim.output.run import versions

    meta = exp.model_dump(mode="json")
    from sim.experiments.spec import label_of

    arms = [exp.baseline.name, *[s.name for s in exp.strategies]] if exp.kind == "compare" else []
    meta["arms"] = arms
    meta["reaction_names"] = [r.name for r in exp.reactions]
    # the runs' labels: strategy, or strategy@reaction when the rivals' reactions are compared
    meta["strategies"] = [label_of(a, r) for r in (meta["reaction_names"] or [None]) for a in arms]
    meta["baseline"] = exp.baseline.name if exp.baseline else None
    meta["versions"] = versions()
    return meta


def _print_ranking(ranking: Any, changes: list[str] | None = None) -> None:
    if ranking is None or not len(ranking):
        return
    reacting = "reaction" in ranking.columns  # ranks within each reaction of the rivals
    decided = "prob_best" in ranking.columns  # issue 18: probability of being best and the group of ties
    print(
        f"{'rivals':<16}" * reacting
        + f"{'rank':>4}  {'strategy':<28}{'profit':>14}{'vs baseline':>14}{'95% CI':>28}"
        + f"{'P(best)':>9}{'group':>7}" * decided
    )
    for _, r in ranking.iterrows():
        if reacting:
            print(f"{r['reaction']:<16}", end="")
        ci = f"[{r['diff_ci_low']:,.0f}, {r['diff_ci_high']:,.0f}]" if r["diff_ci_low"] == r["diff_ci_low"] else ""
        diff = f"{r['diff_vs_baseline']:,.0f}" if r["diff_vs_baseline"] == r["diff_vs_baseline"] else "baseline"
        tail = f"{r['prob_best']:>9.2f}{r['group']:>7}" if decided else ""
        print(f"{r['rank']:>4}  {r['strategy']:<28}{r['mean']:>14,.0f}{diff:>14}{ci:>28}{tail}")
    for sentence in changes or []:
        print(sentence)


def _print_sweep(table: Any, exp: Any, meta: dict[str, Any]) -> None:
    """The sweep's result, one table per output (they fit 80 columns): per design point the parameters,
    the output's mean over replications and its 95% interval."""
    if table is None or not len(table):
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from sim.experiments.figures import param_label
    from sim.output import glossary as G
    from sim.output.palette import human

    cur, spy = meta.get("currency") or "", float(meta.get("steps_per_year") or 52.0)
    params = [p.name for p in exp.parameters]
    shown = table.head(MAX_PRINTED_POINTS)
    for o in exp.outputs:
        t = Table(
            title=f"{G.label_with_unit(o, cur, spy)}: mean over {exp.replications} replications",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        t.add_column("point", justify="right")
        for p in params:
            t.add_column(param_label(p), justify="right")
        t.add_column("mean", justify="right")
        t.add_column("95% interval", justify="right")
        for i, row in shown.iterrows():
            lo, hi = row[f"{o}_ci_low"], row[f"{o}_ci_high"]
            ci = f"{human(lo)} to {human(hi)}" if lo == lo and hi == hi else "–"
            t.add_row(str(i), *[human(row[p]) for p in params], human(row[o]), ci)
        Console().print(t)
    if len(table) > MAX_PRINTED_POINTS:
        print(f"... {len(table) - MAX_PRINTED_POINTS} more design points in sweep.csv")


def cmd_results(args: argparse.Namespace, fail: Any) -> int:
    from sim.experiments import store

    folder = Path(args.folder)
    if not (folder / "experiment.json").exists() and (folder / "summary.json").is_file():
        from sim.output.run import print_summary  # a sim run folder

        try:
            print_summary(folder)
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
        from sim.experiments import report

        out = report.compare_report(folder, meta, keys)
        _print_ranking(out.get("ranking"), out.get("rank_changes"))
        print(f"report: {folder}/report.md")
    elif (folder / "sweep.csv").exists():
        print((folder / "sweep.csv").read_text()[:4000])
    return 0
