"""One run of one scenario, written to a results folder atomically.

    DIR/timeseries.parquet   one row per step x firm
    DIR/customers.parquet    the final per-customer snapshot
    DIR/summary.json         headline metrics, the resolved scenario, seed, versions
    DIR/overview.png         customers, retention, satisfaction and profit per firm
    DIR/markets.png          the six relationship markets over time, and spend by market

Everything is written into a temporary sibling folder (``.DIR.tmp-PID-*``) that is renamed into place
at the end, so a crash, a full disk or Ctrl-C never leaves a half-written DIR; what a killed writer
leaves behind is removed by the next write of the same DIR. An existing non-empty DIR is refused
unless ``force``, and a DIR that cannot be written is refused before the run starts.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.scenario import Scenario

__all__ = [
    "run_scenario",
    "OutputError",
    "OutputExistsError",
    "OutputNotWritableError",
    "OutputWriteError",
    "check_output_dir",
    "write_atomically",
    "versions",
    "strict_json",
    "print_summary",
    "step_unit",
    "HEADLINE_UNITS",
]

# The unit of every headline metric in summary.json (its "units" map) and in ``sim run``'s table.
# A small local map until the glossary of metrics (sim/output/glossary.py, issue 21) replaces it.
CURRENCY = "currency units"
HEADLINE_UNITS = {
    "customers_final": "customers",
    "market_share_final": "share of the population (0-1)",
    "retention_rate_mean": "share retained per week (0-1)",
    "annual_retention": "share retained over the last year (0-1)",
    "acquired_total": "customers",
    "churned_total": "customers",
    "revenue_total": CURRENCY,
    "cost_total": CURRENCY,
    "profit_total": CURRENCY,
    "customer_equity_final": CURRENCY,
    "satisfaction_final": "score 0-1",
    "trust_final": "score 0-1",
    "loyalty_final": "score 0-1",
    "acquisition_spend_total": CURRENCY,
    "retention_spend_total": CURRENCY,
    "acquisition_cost": f"{CURRENCY} per customer acquired",
    "retention_cost_per_customer_year": f"{CURRENCY} per customer-year",
    "returning_margin_share": "share of gross margin (0-1)",
    "referral_share_of_acquisitions": "share of acquisitions (0-1)",
    "top20_revenue_share": "share of revenue (0-1)",
    "runtime_seconds": "seconds",
    "steps": "weeks",
    "population": "people",
    "spend_total": CURRENCY,
    "spend_share_of_revenue": "share of revenue (0-1)",
}


class OutputError(OSError):
    """The results cannot go where they were asked to go; the message is one line naming the place."""


class OutputExistsError(OutputError, FileExistsError):
    """The output folder exists and is not empty, and overwriting was not asked for."""


class OutputNotWritableError(OutputError):
    """Nothing can be created where the output folder would go (/proc, /sys, a read-only mount,
    a path below a file, no permission)."""


class OutputWriteError(OutputError):
    """Writing the results failed part-way (disk full, quota, device gone); nothing was left behind."""


def _finite_or_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj


def strict_json(obj: Any, **kwargs: Any) -> str:
    """``obj`` as strict JSON: NaN and infinities (e.g. the annual retention of a run shorter than a
    year) become ``null``, which every JSON reader accepts; bare ``NaN`` is not JSON."""
    return json.dumps(_finite_or_none(obj), allow_nan=False, **kwargs)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("sim", "mesa", "numba", "numpy", "pandas", "pyarrow", "networkx", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def fresh_dir(base: Path) -> Path:
    """A default results folder: ``base``, or ``base-2``, ``base-3``... — never an existing one."""
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def check_output_dir(out: Path, force: bool) -> None:
    """Refuse, before any simulating, an ``out`` that exists (unless ``force``) or that cannot be
    written: the folder that would hold it is probed by creating and removing a temporary folder
    there, since permission bits do not tell (root writes through 0o555; /proc and /sys look like
    folders; a read-only mount is only known on writing)."""
    try:
        if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
            raise OutputExistsError(f"{out}: exists and is not empty (use --force to replace it)")
        folder = out.absolute().parent
        while not folder.exists() and folder != folder.parent:  # the nearest folder that exists
            folder = folder.parent
        if not folder.is_dir():
            raise OutputNotWritableError(f"{out}: cannot write there: {folder} is not a folder")
        os.rmdir(tempfile.mkdtemp(prefix=_tmp_prefix(out), dir=folder))
    except OutputError:
        raise
    except OSError as err:
        raise OutputNotWritableError(f"{out}: cannot write there ({err.strerror or err})") from None


def write_atomically(out: Path, force: bool, write: Callable[[Path], None]) -> None:
    """Call ``write(tmpdir)``, then move tmpdir to ``out`` (replacing it only if ``force``).

    On any failure or interruption the temporary folder (and any parent folders made for it) is
    removed and an existing ``out`` is left as it was; an OS error (disk full...) becomes a one-line
    :class:`OutputWriteError`."""
    check_output_dir(out, force)
    made = None  # the outermost parent folder this call creates, removed again on failure
    if not out.parent.exists():
        made = out.absolute().parent
        while not made.parent.exists():
            made = made.parent
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(out)
        tmp = _make_temporary(out)
        write(tmp)
        _move_into_place(tmp, out)
    except BaseException as err:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if made is not None:
            _remove_empty_parents(out.absolute().parent, made)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputWriteError(f"{out}: cannot write the results ({err.strerror or err}); nothing was written") from err
        raise


def _move_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        tmp.rename(out)
        return
    trash = out.with_name(f".{out.name}.old-{os.getpid()}")
    out.rename(trash)
    try:
        tmp.rename(out)
    except BaseException:
        trash.rename(out)  # put the old results back
        raise
    _remove(trash)


def _make_temporary(out: Path) -> Path:
    """A new empty hidden sibling of ``out`` made with the user's umask (``mkdtemp`` makes 0700, which
    the renamed results folder would keep: issue 21)."""
    while True:
        tmp = out.parent / f"{_tmp_prefix(out)}{secrets.token_hex(4)}"
        try:
            tmp.mkdir(mode=0o777)  # the umask applies: 0755 under the usual 022
        except FileExistsError:
            continue
        return tmp


def _tmp_prefix(out: Path) -> str:
    """Temporaries of ``out`` are hidden siblings named with the writer's pid, so that a later write
    can tell a killed writer's leftovers from a live one's."""
    return f".{out.name}.tmp-{os.getpid()}-"


def _owner_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process: maybe another thread's write
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else; or cannot tell
        return True
    return True


def _remove_stale_temporaries(out: Path) -> None:
    """Remove ``.OUT.tmp-PID-*`` and ``.OUT.old-PID`` siblings of ``out`` whose writer process is gone
    (SIGKILL, power loss) — only those of this target, never a live writer's. A pid reused by an
    unrelated live process keeps its leftovers until that process ends (errs on keeping)."""
    stale = re.compile(rf"\.{re.escape(out.name)}\.(?:tmp-(\d+)-.+|old-(\d+))")
    try:
        siblings = list(out.parent.iterdir())
    except OSError:
        return
    for path in siblings:
        m = stale.fullmatch(path.name)
        if m and not _owner_alive(int(m[1] or m[2])):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_empty_parents(folder: Path, outermost: Path) -> None:
    """Remove ``folder`` and its parents up to ``outermost`` while they are empty."""
    while folder.is_relative_to(outermost):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def run_scenario(
    scenario: Scenario,
    seed: int,
    out: str | Path | None = None,
    *,
    force: bool = False,
    progress: Callable[[int], Any] | None = None,
    debug: bool = False,
):
    """Build and run the model; write the results folder if ``out`` is given. Returns the model."""
    from sim.model import RelationshipMarket

    if out is not None:
        check_output_dir(Path(out), force)  # refuse before spending time on the run
    t0 = time.perf_counter()
    model = RelationshipMarket(scenario, rng=seed, debug=debug)
    model.run(progress=progress)
    elapsed = time.perf_counter() - t0
    if out is not None:
        write_run(model, Path(out), seed, elapsed, force)
    return model


def with_credit(model: Any, customers: Any) -> Any:
    """F9, with ``credit.enabled``: the customer table (a DataFrame) with each person's ``credit_grade`` (A-D),
    ``collection_rate`` (share of invoiced revenue paid within 24 months) and ``payment_term_days``."""
    if not model.config.credit.enabled:
        return customers
    import pandas as pd

    from sim.scenario.credit import GRADES

    pop = model.population
    return customers.assign(
        credit_grade=pd.Categorical.from_codes(pop.credit_grade, categories=list(GRADES)),
        collection_rate=pop.collection_rate,
        payment_term_days=pop.payment_term,
    )


def write_run(model, out: Path, seed: int, elapsed: float, force: bool) -> None:
    from sim.output.glossary import units_of
    from sim.output.headlines import firm_headlines, market_summary
    from sim.output.plots import markets_figure, overview_figure
    from sim.output.portfolio import with_portfolio

    cfg: Scenario = model.config
    ts = model.timeseries()
    customers = model.customers(copy=False)  # the run is over: views, not a second copy of every row
    customers, ts = with_portfolio(model, customers, ts)  # D8, D9 classes; pyramid per class over time
    customers = with_credit(model, customers)  # F9 grades and payment behaviour, with credit on
    summary = {
        "scenario": cfg.name,
        "seed": seed,
        "steps": cfg.steps,
        "population": cfg.population.size,
        "runtime_seconds": round(elapsed, 3),
        "units": {**HEADLINE_UNITS, "steps": step_unit(cfg.steps_per_year)},
        "firms": firm_headlines(ts, customers, cfg.steps_per_year),
        "market": {"prospects_final": float(model.prospects), "lapsed_final": float(model.lapsed_customers)},
        "markets": market_summary(ts),
        "events": [{"step": s, "kind": k, "firm": f} for s, k, f in model.events.log],
        "versions": versions(),
        "resolved_scenario": cfg.to_dict(),
    }
    # the unit of every number above, from the one glossary (issue 21): currency and time step filled in
    names = {k for h in summary["firms"].values() for k in h} | {"spend_total", "spend_share_of_revenue"}
    summary["units"] |= units_of(sorted(names), cfg.currency, cfg.steps_per_year)

    def write(tmp: Path) -> None:
        ts.to_parquet(tmp / "timeseries.parquet", index=False)
        customers.to_parquet(tmp / "customers.parquet", index=False)
        (tmp / "summary.json").write_text(strict_json(summary, indent=2) + "\n")
        label = f"{cfg.name} — seed {seed}, {cfg.population.size:,} customers"
        overview_figure(ts, tmp / "overview.png", label)
        markets_figure(ts, tmp / "markets.png", label)

    write_atomically(out, force, write)


def step_unit(steps_per_year: float) -> str:
    """What one step is: "weeks" (52 a year, the default), "days", or "steps (N per year)"."""
    return {52.0: "weeks", 365.0: "days"}.get(float(steps_per_year), f"steps ({steps_per_year:g} per year)")


def print_summary(out: Path) -> None:
    """Print a ``sim run`` folder's headline metrics (``summary.json``), one row per firm, with units."""
    summary = json.loads((Path(out) / "summary.json").read_text())
    unit = step_unit(summary.get("resolved_scenario", {}).get("steps_per_year", 52.0))
    print(
        f"{summary['scenario']}: seed {summary['seed']}, {summary['steps']} {unit}, "
        f"{summary['population']:,} customers, {summary['runtime_seconds']:.1f} s -> {out}/"
    )
    cols = [  # key, header, format, width: 80 columns in all
        ("customers_final", "customers", "{:,.0f}", 11),
        ("market_share_final", "share", "{:.1%}", 8),
        ("annual_retention", "retention/yr", "{:.1%}", 13),
        ("satisfaction_final", "satisfaction", "{:.3f}", 13),
        ("profit_total", "profit", "{:,.0f}", 13),
        ("customer_equity_final", "equity", "{:,.0f}", 13),
    ]
    print(f"{'firm':<8}" + "".join(f"{h:>{w}}" for _, h, _, w in cols))
    for name, m in summary["firms"].items():  # null: undefined (e.g. annual retention of a run under a year)
        print(f"{name:<8}" + "".join(f"{'n/a' if m[k] is None else fmt.format(m[k]):>{w}}" for k, _, fmt, w in cols))
    print("customers, share (of the population), satisfaction (0-1), equity: at the end;")
    print(f"retention/yr: over the last year; profit: over the run; money in {CURRENCY}")
