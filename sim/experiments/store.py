"""The results folder of an experiment: content-addressed run files, written atomically, resumable.

    DIR/experiment.json       the experiment, its content hash, versions
    DIR/runs/<key>.parquet    one file per run (a Parquet dataset: pandas, DuckDB, pyarrow)
    DIR/failures.csv          runs that failed twice, with their error
    DIR/comparison.csv, DIR/report.md, DIR/figures/   (written by the report)

A run file appears only complete (written to ``<key>.parquet.tmp``, then renamed), so after Ctrl-C,
kill -9 or a crashed worker, re-running the same command skips the runs on disk and the dataset ends
identical to an uninterrupted one. A folder holding a different experiment is never mixed into.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ExperimentExists", "prepare", "completed", "write_run", "write_failures", "read_runs", "write_text_atomically"]


class ExperimentExists(FileExistsError):
    """``--out`` holds the results of a different experiment."""


def write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare(out: Path | None, default: Path, identity: str, meta: dict[str, Any]) -> tuple[Path, bool]:
    """Choose and initialise the results folder. Returns (folder, resuming).

    With ``out`` given: resume it if it holds this experiment, create it if absent or empty, refuse
    otherwise. Without: ``default``, or the first of ``default-2``, ``default-3``... that is free or
    holds this experiment."""
    candidates = [out] if out is not None else [default] + [default.with_name(f"{default.name}-{k}") for k in range(2, 1000)]
    for folder in candidates:
        found = _identity(folder)
        if found == identity:
            return folder, True
        empty = not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))
        if empty:
            (folder / "runs").mkdir(parents=True, exist_ok=True)
            meta = {**meta, "identity": identity, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
            write_text_atomically(folder / "experiment.json", json.dumps(meta, indent=2, default=str) + "\n")
            return folder, False
        if out is not None:
            what = "a different experiment (the experiment file or --set changed)" if found else "other files"
            raise ExperimentExists(f"{folder}: holds {what}; use a new --out folder")
    raise ExperimentExists(f"{default}: no free results folder")  # pragma: no cover


def _identity(folder: Path) -> str | None:
    try:
        return json.loads((folder / "experiment.json").read_text())["identity"]
    except (OSError, ValueError, KeyError):
        return None


def completed(folder: Path) -> set[str]:
    return {p.name[: -len(".parquet")] for p in (folder / "runs").glob("*.parquet")}


def write_run(folder: Path, key: str, table: pd.DataFrame) -> None:
    final = folder / "runs" / f"{key}.parquet"
    tmp = final.with_name(f".{key}.parquet.tmp")  # hidden: pyarrow, pandas and DuckDB globs skip it
    table.to_parquet(tmp, index=False)
    os.replace(tmp, final)


def write_failures(folder: Path, failures: list[dict[str, Any]]) -> None:
    path = folder / "failures.csv"
    if not failures:
        if path.exists():
            path.unlink()
        return
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["run_key", "strategy", "replication", "seed", "error"])
        w.writeheader()
        w.writerows(failures)
    os.replace(tmp, path)


def read_runs(
    folder: Path, keys: set[str] | None = None, firm: str | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """The runs dataset (optionally only ``keys``, one ``firm``, some ``columns``), sorted canonically."""
    import pyarrow.dataset as ds

    files = sorted(p for p in (folder / "runs").glob("*.parquet") if keys is None or p.stem in keys)
    if not files:
        return pd.DataFrame()
    data = ds.dataset([str(p) for p in files], format="parquet")
    filt = ds.field("firm") == firm if firm is not None else None
    df = data.to_table(columns=columns, filter=filt).to_pandas()
    order = [c for c in ("point", "strategy", "replication", "firm", "step") if c in df.columns]
    return df.sort_values(order, kind="stable").reset_index(drop=True)
