"""Reading a firm's transaction log and summarising it per customer (issue 17).

A log is one row per transaction: a customer id, a date and (optionally) an amount, as CSV,
whitespace-separated text or Parquet. Repeat transactions are counted as *distinct purchase days* after the
customer's first, which reproduces the published CDNOW summaries (Fader, Hardie & Lee 2005). Times are in
weeks (a day is 1/7), as in that paper. Every bad input raises :class:`CalibrationError`, one line naming the
file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CalibrationError", "LogSummary", "read_log", "summarise"]

DAYS_PER_WEEK = 7.0


class CalibrationError(ValueError):
    """Bad input to ``sim calibrate``: the message is one line naming the file and the field."""


def _read_table(path: Path, names: list[str] | None) -> pd.DataFrame:
    if not path.is_file():
        raise CalibrationError(f"{path}: log file not found (or not a regular file)")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            if names:
                if len(names) != df.shape[1]:
                    raise CalibrationError(f"{path}: --names: {len(names)} names for {df.shape[1]} columns")
                df.columns = names
            return df
        with path.open("r", encoding="utf-8") as fh:
            first = fh.readline()
        sep = "," if "," in first else (";" if ";" in first else ("\t" if "\t" in first else r"\s+"))
        if not names:
            return pd.read_csv(path, sep=sep, dtype=str, skipinitialspace=True, index_col=False)
        df = pd.read_csv(path, sep=sep, header=None, dtype=str, skipinitialspace=True, index_col=False)
        if df.shape[1] != len(names):
            raise CalibrationError(f"{path}: --names: {len(names)} names for {df.shape[1]} columns")
        df.columns = names
        return df
    except CalibrationError:
        raise
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: cannot read the log (not UTF-8 text, nor Parquet)") from None
    except (OSError, ValueError, pd.errors.ParserError) as err:
        msg = str(err).splitlines()[0] if str(err) else err.__class__.__name__
        raise CalibrationError(f"{path}: cannot read the log ({msg[:120]})") from None


def read_log(
    path: str | Path,
    customer: str,
    date: str,
    amount: str | None = None,
    names: list[str] | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """The log as a frame with columns ``customer`` (str), ``date`` (datetime64, day) and ``amount`` (float,
    NaN when the log has none). ``names``: column names for a file without a header row."""
    path = Path(path)
    raw = _read_table(path, names)
    cols = [str(c).strip() for c in raw.columns]
    raw.columns = cols
    for flag, col in (("--customer", customer), ("--date", date), ("--amount", amount)):
        if col is not None and col not in cols:
            raise CalibrationError(f"{path}: {flag}: column {col!r} not in the log (columns: {', '.join(cols)})")
    if raw.empty:
        raise CalibrationError(f"{path}: {date}: the log has no transactions")
    ids = raw[customer]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise CalibrationError(f"{path}: {customer}: missing customer id in data row {row + 1}")
    text = raw[date].astype(str).str.strip()
    parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        fmt = f" with --date-format {date_format}" if date_format else " (give --date-format, e.g. %Y%m%d)"
        raise CalibrationError(f"{path}: {date}: unparseable date {text.iloc[row]!r} in data row {row + 1}{fmt}")
    out = pd.DataFrame({"customer": ids.astype(str).str.strip().to_numpy(), "date": parsed.dt.normalize().to_numpy()})
    if amount is not None:
        amt = pd.to_numeric(raw[amount], errors="coerce")
        bad = amt.isna() | ~np.isfinite(amt.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise CalibrationError(f"{path}: {amount}: not a number ({raw[amount].iloc[row]!r}) in data row {row + 1}")
        if (amt < 0).any():
            row = int(np.flatnonzero((amt < 0).to_numpy())[0])
            raise CalibrationError(f"{path}: {amount}: negative amount ({amt.iloc[row]:g}) in data row {row + 1}")
        out["amount"] = amt.to_numpy(dtype=np.float64)
    else:
        out["amount"] = np.nan
    return out


@dataclass(frozen=True)
class LogSummary:
    """Per-customer summary of the calibration period (lifetimes' conventions: ``frequency`` = repeat purchase
    days, ``recency`` = weeks from the first to the last purchase, ``T`` = weeks from the first purchase to the
    calibration end, ``monetary_value`` = mean spend per repeat purchase day) and what happened in the holdout
    (``holdout`` = purchase days after the calibration end). ``weekly``: repeat purchase days of the calibration
    customers per week since the first purchase in the log (week 1 = the first seven days)."""

    customers: pd.DataFrame  # index customer; frequency, recency, T, monetary_value, holdout
    weekly: pd.Series  # index week 1..; repeat transactions of the calibration customers
    start: pd.Timestamp
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    has_amounts: bool
    new_in_holdout: int  # customers whose first purchase falls in the holdout (not in the calibration base)

    @property
    def calibration_weeks(self) -> float:
        return (self.calibration_end - self.start).days / DAYS_PER_WEEK

    @property
    def holdout_weeks(self) -> float:
        return (self.holdout_end - self.calibration_end).days / DAYS_PER_WEEK

    @property
    def calibration_week(self) -> int:
        """The last week of the calibration period (weeks counted 1, 2, ... from the log's first day, on a grid
        that ends a week at the calibration end)."""
        return int(_week_of(self.calibration_end, self.start, self.calibration_end))

    @property
    def holdout_steps(self) -> int:
        """Whole weeks of the holdout (the engine's steps at a week per step)."""
        return int(np.ceil((self.holdout_end - self.calibration_end).days / DAYS_PER_WEEK - 1e-9))


def _week_of(when, start: pd.Timestamp, cal_end: pd.Timestamp):
    """Week number on the grid ending at ``cal_end``: the calibration period's last week is
    ceil((cal_end - start + 1 day) / 7); the holdout's first week starts the day after ``cal_end``."""
    calw = int(np.ceil(((cal_end - start).days + 1) / DAYS_PER_WEEK))
    if isinstance(when, pd.Series):
        return calw + np.ceil((when - cal_end).dt.days / DAYS_PER_WEEK).astype(int)
    return calw + int(np.ceil((when - cal_end).days / DAYS_PER_WEEK))


def summarise(
    log: pd.DataFrame, calibration_end: str | pd.Timestamp, source: str = "log", holdout_end: str | None = None
) -> LogSummary:
    """Distinct purchase days per customer, split at ``calibration_end`` (inclusive); the holdout runs to
    ``holdout_end`` (default: the last date in the log). Empty periods raise :class:`CalibrationError`."""
    try:
        cal_end = pd.Timestamp(calibration_end).normalize()
    except (ValueError, TypeError):
        raise CalibrationError(f"{source}: --calibration-end: unparseable date {calibration_end!r}") from None
    days = log.groupby(["customer", "date"], sort=False, observed=True)["amount"].sum(min_count=1).reset_index()
    start = days["date"].min()
    end = pd.Timestamp(holdout_end).normalize() if holdout_end else days["date"].max()
    first = days.groupby("customer", sort=False)["date"].transform("min")
    cal_ids = days.loc[first <= cal_end, "customer"].unique()
    if len(cal_ids) == 0:
        raise CalibrationError(
            f"{source}: --calibration-end: no customer bought on or before {cal_end.date()} (empty calibration period)"
        )
    if end <= cal_end or not (days["date"] > cal_end).any():
        raise CalibrationError(
            f"{source}: --calibration-end: no transactions after {cal_end.date()} (empty holdout period; the log ends "
            f"{days['date'].max().date()})"
        )
    d = days[first <= cal_end].copy()
    d["first"] = first[first <= cal_end]
    cal = d[d["date"] <= cal_end]
    hold = d[(d["date"] > cal_end) & (d["date"] <= end)]
    g = cal.groupby("customer", sort=True)
    n_days = g.size()
    first_day = g["date"].min()
    last_day = g["date"].max()
    out = pd.DataFrame(
        {
            "frequency": (n_days - 1).astype(np.float64),
            "recency": (last_day - first_day).dt.days / DAYS_PER_WEEK,
            "T": (cal_end - first_day).dt.days / DAYS_PER_WEEK,
        }
    )
    repeat = cal[cal["date"] > cal["first"]]
    spend = repeat.groupby("customer")["amount"].mean()
    out["monetary_value"] = spend.reindex(out.index).fillna(0.0).to_numpy()
    out["holdout"] = hold.groupby("customer").size().reindex(out.index).fillna(0).astype(np.float64).to_numpy()
    rep_all = d[(d["date"] > d["first"]) & (d["date"] <= end)]
    calw = _week_of(cal_end, start, cal_end)
    week = _week_of(rep_all["date"], start, cal_end)
    n_weeks = _week_of(end, start, cal_end)
    weekly = week.value_counts().reindex(range(1, n_weeks + 1), fill_value=0).sort_index().astype(np.int64)
    weekly.attrs["calibration_week"] = calw
    new = int(days.loc[first > cal_end, "customer"].nunique())
    return LogSummary(out, weekly, start, cal_end, end, bool(log["amount"].notna().any()), new)
