"""The results folder of an experiment: content-addressed run files, written atomically, resumable.

    DIR/experiment.json       the experiment, its content hash, versions
    DIR/runs/<key>.parquet    one file per run (a Parquet dataset: pandas, DuckDB, pyarrow)
    DIR/failures.csv          runs that failed twice, with their error
    DIR/comparison.csv, DIR/report.md, DIR/figures/   (written by the report)

A run file appears only complete (written to a hidden temporary file, then renamed), so after Ctrl-C,
kill -9 or a crashed worker, re-running the same command skips the runs on disk and the dataset ends
identical to an uninterrupted one. A run file damaged all the same (zero bytes, truncated, too few rows:
a full disk, a copy cut short) is detected on resume and redone. A folder holding a different experiment is never mixed into.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "FolderError",
    "ExperimentExists",
    "FolderInUse",
    "NotAnExperiment",
    "read_meta",
    "lock_folder",
    "prepare",
    "check_runs",
    "completed",
    "write_run",
    "write_failures",
    "read_runs",
    "write_text_atomically",
]


class FolderError(Exception):
    """The results folder cannot be used (one-line message naming it)."""


class ExperimentExists(FolderError, FileExistsError):
    """``--out`` holds the results of a different experiment."""


class FolderInUse(FolderError):
    """Another process is writing this results folder."""


class NotAnExperiment(ValueError):
    """A folder without a readable, valid ``experiment.json`` (one-line message naming the file and field)."""


class _Meta(BaseModel):
    """What ``sim results`` and the reports read from ``experiment.json`` (other keys are kept as they are)."""

    model_config = ConfigDict(extra="allow")
    name: str
    kind: Literal["compare", "sweep"]
    firm: str
    seed: int = 0
    baseline: str | None = None
    strategies: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list)


def read_meta(folder: Path) -> dict[str, Any]:
    """The validated ``experiment.json`` of a results folder; ``NotAnExperiment`` if absent or invalid."""
    from sim.scenario import describe_error

    path = folder / "experiment.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NotAnExperiment(
            f"{folder}: not an experiment results folder (no readable experiment.json: {type(err).__name__})"
        ) from None
    try:
        meta = _Meta.model_validate(data)
    except ValidationError as err:
        raise NotAnExperiment(describe_error(err, data, str(path))) from None
    if meta.kind == "compare" and meta.baseline is None:
        raise NotAnExperiment(f"{path}: baseline: a compare experiment needs a baseline")
    return meta.model_dump()


def _temporary(final: Path) -> Path:
    """A uniquely named hidden file beside ``final`` (process id and a random UUID): two writers of the same
    target never share a temporary; pyarrow, pandas and DuckDB globs skip hidden files."""
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp")


def _replace_with(final: Path, write: Callable[[Path], None]) -> None:
    tmp = _temporary(final)
    try:
        write(tmp)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    _replace_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class FolderLock:
    """An exclusive, non-blocking ``flock`` on the results folder itself (no lock file is written; the kernel
    drops the lock when the process ends, even after kill -9). A second writer is refused at once."""

    def __init__(self, folder: Path) -> None:
        self.fd: int | None = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise FolderInUse(
                f"{folder}: in use by another sim process (one writer per results folder); "
                "wait for it to finish or choose another --out"
            ) from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_folder(folder: Path) -> FolderLock:
    """Lock an existing folder for this process (use as a context manager); ``FolderInUse`` if taken."""
    return FolderLock(folder)


def prepare(
    out: Path | None, default: Path, identity: str, meta: dict[str, Any], variant: str = ""
) -> tuple[Path, bool, FolderLock]:
    """Choose, lock and initialise the results folder. Returns (folder, resuming, lock); hold the lock
    until the experiment is written.

    With ``out`` given: resume it if it holds this experiment, create it if absent or empty, refuse
    otherwise. Without: ``default``, or (``variant`` names what the command changed, e.g. ``size5000``)
    ``default-variant``, then the first of ``default-variant-2``, ``-3``... that is free or holds this
    experiment. A folder another process is writing is refused (``FolderInUse``)."""
    stem = default.with_name(f"{default.name}-{variant}") if variant else default
    candidates = [out] if out is not None else [default, stem] + [stem.with_name(f"{stem.name}-{k}") for k in range(2, 1000)]
    for folder in candidates:
        # an existing folder is locked before it is judged: another process may be half-way through
        # initialising it (then this one is refused as "in use", not as holding other files)
        held = FolderLock(folder) if out is not None and folder.is_dir() else None
        if _usable(folder, identity):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                if held is not None:
                    held.release()
                raise FolderError(f"{folder}: cannot create the results folder ({err.strerror})") from None
            lock = held or FolderLock(folder)
            # checked again under the lock: another process may have taken the folder meanwhile
            if _identity(folder) == identity:
                return folder, True, lock
            if not any(folder.iterdir()):
                (folder / "runs").mkdir()
                meta = {**meta, "identity": identity, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
                write_text_atomically(folder / "experiment.json", json.dumps(meta, indent=2, default=str) + "\n")
                return folder, False, lock
            lock.release()
        elif held is not None:
            held.release()
        if out is not None:
            found = _identity(folder)
            what = "a different experiment (the experiment file or --set changed)" if found else "other files"
            raise ExperimentExists(f"{folder}: holds {what}; use a new --out folder")
    raise ExperimentExists(f"{default}: no free results folder")  # pragma: no cover


def _usable(folder: Path, identity: str) -> bool:
    """Holds this experiment (resume), or is absent or an empty folder (start)."""
    if _identity(folder) == identity:
        return True
    return not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))


def _identity(folder: Path) -> str | None:
    try:
        return json.loads((folder / "experiment.json").read_text())["identity"]
    except (OSError, ValueError, KeyError):
        return None


def check_runs(folder: Path, expected_rows: Mapping[str, int] | None = None) -> tuple[set[str], list[Path]]:
    """The run keys whose files are complete, and the damaged files. A file counts only if its Parquet footer
    reads (a zero-byte or truncated file has none) and it holds the expected number of rows when known
    (``expected_rows[key]``); anything else is damaged and must be redone, not trusted on resume."""
    good: set[str] = set()
    damaged: list[Path] = []
    for p in sorted((folder / "runs").glob("*.parquet")):
        key = p.name[: -len(".parquet")]
        try:
            rows = pq.read_metadata(p).num_rows
        except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
            damaged.append(p)
            continue
        want = expected_rows.get(key) if expected_rows is not None else None
        if want is not None and rows != want:
            damaged.append(p)
        else:
            good.add(key)
    return good, damaged


def completed(folder: Path, expected_rows: Mapping[str, int] | None = None) -> set[str]:
    """Keys of the complete run files (see :func:`check_runs`)."""
    return check_runs(folder, expected_rows)[0]


def write_run(folder: Path, key: str, table: pd.DataFrame) -> None:
    _replace_with(folder / "runs" / f"{key}.parquet", lambda tmp: table.to_parquet(tmp, index=False))


def write_failures(folder: Path, failures: list[dict[str, Any]]) -> None:
    path = folder / "failures.csv"
    if not failures:
        if path.exists():
            path.unlink()
        return

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["run_key", "strategy", "replication", "seed", "error"])
            w.writeheader()
            w.writerows(failures)

    _replace_with(path, write)


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
