"""The start state: a population that starts from a firm's own customers (``population.start_state``).

A Parquet file holds one row per person the firms know (at most ``population.size`` rows); row i becomes
person i of the population, and the remaining people are prospects drawn as without a start state. Only the
``firm`` column is required; every other column is optional and, where absent, takes the value the generator
of :meth:`CustomerPopulation.create` would give. ``firms[].initial_share`` is not used.

==============  =========================  ============================================================
column          type                       meaning (bounds)
==============  =========================  ============================================================
customer        string or int (unique)     the firm's own id, carried to ``customers.parquet``
firm            string (null / "" = none)  the firm the person buys from now; none: prospect or lapsed
last_firm       string or null             the firm most recently left (a lapsed customer if firm none)
segment         string                     a segment name of the scenario
stage           string                     one of ``registry.STAGES`` (consistent with ``firm``)
tenure          int                        steps with the current firm (0 to 32,767)
n_purchases     int                        purchases so far (0 to 65,535)
last_purchase   int or null                step of the last purchase, 0 = the step before step 1 (<= 0);
                                           null = never bought
freq            float                      purchase-frequency multiplier (0 to 1e6)
own_churn       float                      per-step own-circumstances / dropout probability (0 to 1)
wallet          float                      spend multiplier (> 0, at most 1e6)
satisfaction,   float                      [0, 1]
trust, loyalty,
expectation,
bond_fin,
bond_soc,
bond_str
residual_value  float                      the calibrated model's expected residual value (currency,
                                           0 to 1e12): the forward value the portfolio classes the row
                                           by while it stays with its start firm (D8; ``sim calibrate``)
==============  =========================  ============================================================

Every problem is a :class:`ScenarioError` of one line naming the file and the column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.customers import registry as L
from sim.scenario import Scenario, ScenarioError

__all__ = ["StartState", "read_start_state", "start_state_rows", "file_digest", "NEVER", "COLUMNS"]

NEVER = L.NEVER_BOUGHT  # ``last_purchase`` of a person who never bought
# name -> (kind, low, high, low inclusive); kinds: "name" (a firm / segment / stage name), "int", "float"
COLUMNS: dict[str, tuple[str, float, float, bool]] = {
    "customer": ("id", 0, 0, True),
    "firm": ("name", 0, 0, True),
    "last_firm": ("name", 0, 0, True),
    "segment": ("name", 0, 0, True),
    "stage": ("name", 0, 0, True),
    "tenure": ("int", 0, 32_767, True),
    "n_purchases": ("int", 0, 65_535, True),
    "last_purchase": ("int", NEVER + 1, 0, True),
    "freq": ("float", 0.0, 1e6, True),
    "own_churn": ("float", 0.0, 1.0, True),
    "wallet": ("float", 0.0, 1e6, False),
    **{c: ("float", 0.0, 1.0, True) for c in ("satisfaction", "trust", "loyalty", "expectation")},
    **{c: ("float", 0.0, 1.0, True) for c in ("bond_fin", "bond_soc", "bond_str")},
    "residual_value": ("float", 0.0, 1e12, True),
}
OWN_DTYPES = {"residual_value": "float64"}  # columns the population keeps beside its state arrays
NULLABLE = ("customer", "firm", "last_firm", "last_purchase")
BYTES_PER_CELL = 24  # the Arrow column and its numpy conversion, per row and column (transient, while building)


@dataclass
class StartState:
    """The validated columns of a start-state file, as numpy arrays of the population's dtypes (``rows`` long)."""

    path: Path
    rows: int
    columns: dict[str, np.ndarray]
    customer: np.ndarray | None  # the firm's ids (int64 or object strings), or None

    def first(self, firm: np.ndarray, segment: np.ndarray) -> None:
        """Set the columns the generator's other defaults depend on (firm, segment), in place; every person
        after the file's rows is a prospect (firm -1)."""
        firm[:] = -1
        firm[: self.rows] = self.columns["firm"]
        if "segment" in self.columns:
            segment[: self.rows] = self.columns["segment"]

    def apply(self, pop: Any, new_steps: int) -> None:
        """Overwrite the file's rows of every other column it gives, in the ``CustomerPopulation`` ``pop`` (not
        imported: it imports this module); without a ``stage`` column, stages follow the generator's rule from
        tenure, and a non-customer with a ``last_firm`` is lapsed (D10)."""
        r = self.rows
        for name, values in self.columns.items():
            if name not in ("firm", "segment", *OWN_DTYPES) and hasattr(pop, name):
                getattr(pop, name)[:r] = values
        if "stage" not in self.columns:  # the generator's stage from the file's tenure and last firm
            cust, new = pop.firm[:r] >= 0, pop.tenure[:r] < new_steps
            lapsed = ~cust & (pop.last_firm[:r] >= 0)
            pop.stage[:r] = np.where(cust, np.where(new, L.NEW, L.GROWING), np.where(lapsed, L.LAPSED, L.PROSPECT))
        pop.customer_ids = self.customer
        pop.residual_value = self.columns.get("residual_value")  # the rows' residual values, or None


def _fail(path: Path, column: str, msg: str) -> ScenarioError:
    return ScenarioError(f"{path}: {column}: {msg}")


def _open(sc: Scenario) -> tuple[Path, Any]:
    """The file of ``sc``'s start state and its ``pyarrow.parquet.ParquetFile`` (metadata only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(str(sc.population.start_state))
    if not path.is_file():
        what = "not a regular file" if path.exists() else "file not found"
        raise ScenarioError(f"{path}: population.start_state: {what}")
    try:
        return path, pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise ScenarioError(f"{path}: population.start_state: not a Parquet file ({type(err).__name__})") from None


def start_state_rows(sc: Scenario) -> tuple[int, int]:
    """(rows, columns) of ``sc``'s start-state file from its metadata; (0, 0) without one."""
    if sc.population.start_state is None:
        return 0, 0
    _, pf = _open(sc)
    return pf.metadata.num_rows, pf.metadata.num_columns


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (a start state's content, in the run's content hash)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as err:
        raise ScenarioError(f"{path}: population.start_state: cannot read ({type(err).__name__})") from None
    return h.hexdigest()


def _names(path: Path, name: str, col: Any, labels: list[str]) -> np.ndarray:
    """A column of names as int8 indices into ``labels`` (-1: null or empty, where allowed)."""
    import pyarrow as pa

    typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ)):  # null: all empty
        raise _fail(path, name, f"expected names (strings), got {col.type}")
    s = pd.Series(col.to_pandas(), dtype=object)
    empty = s.isna() | (s == "")
    if empty.any() and name not in NULLABLE:
        raise _fail(path, name, f"empty or null at row {int(np.flatnonzero(empty.to_numpy())[0])}")
    codes = pd.Index(labels).get_indexer(s.where(~empty, None))  # -1: not a known name (or empty)
    bad = np.flatnonzero((codes < 0) & ~empty.to_numpy())
    if len(bad):
        raise _fail(path, name, f"unknown name {s.iloc[bad[0]]!r} at row {int(bad[0])} (known: {', '.join(labels)})")
    return codes.astype(np.int8)


def _numbers(path: Path, name: str, col: Any) -> np.ndarray:
    """A numeric column, type and bounds checked; ``last_purchase``'s nulls become :data:`NEVER`."""
    import pyarrow as pa

    kind, low, high, inclusive = COLUMNS[name]
    integer = pa.types.is_integer(col.type) or (pa.types.is_null(col.type) and name in NULLABLE)
    if not (integer or (kind == "float" and pa.types.is_floating(col.type))):
        want = "integers" if kind == "int" else "numbers"
        raise _fail(path, name, f"expected {want}, got {col.type}")
    nulls = col.null_count
    if nulls and name not in NULLABLE:
        raise _fail(path, name, f"{nulls} null values (a value is needed in every row)")
    if nulls:  # last_purchase: null = never bought
        values = np.where(col.is_null().to_numpy(zero_copy_only=False), NEVER, col.fill_null(0).to_numpy())
    else:
        values = col.to_numpy(zero_copy_only=False).astype(np.float64 if kind == "float" else np.int64, copy=False)
    ok = np.isfinite(values) & (values <= high) & ((values >= low) if inclusive else (values > low))
    if name == "last_purchase":
        ok |= values == NEVER
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        bound = f"{'[' if inclusive else '('}{low:g}, {high:g}]"
        raise _fail(path, name, f"value {values[i].item()!r} at row {i} outside {bound}")
    return values


def _ids(path: Path, col: Any) -> np.ndarray:
    import pyarrow as pa

    if not (pa.types.is_integer(col.type) or pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise _fail(path, "customer", f"expected string or integer ids, got {col.type}")
    if col.null_count:
        raise _fail(path, "customer", f"{col.null_count} null ids")
    ids = col.to_numpy(zero_copy_only=False)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise _fail(path, "customer", f"duplicate id {ids[int(np.flatnonzero(dup.to_numpy())[0])]!r}")
    return ids


def read_start_state(sc: Scenario) -> StartState | None:
    """Read and check ``sc``'s start-state file (None without one): every column's type and bounds, the
    names against the scenario's firms, segments and ``registry.STAGES``, and that stages fit the firm."""
    if sc.population.start_state is None:
        return None
    path, pf = _open(sc)
    rows = pf.metadata.num_rows
    if rows > sc.population.size:
        raise ScenarioError(f"{path}: population.size: the start state has {rows:,} rows, more than {sc.population.size:,}")
    names = pf.schema_arrow.names
    unknown = [c for c in names if c not in COLUMNS]
    if unknown:
        raise _fail(path, unknown[0], f"unknown column (known: {', '.join(COLUMNS)})")
    if "firm" not in names:
        raise _fail(path, "firm", "missing column (the firm each row buys from, empty for none)")
    try:
        table = pf.read()
    except Exception as err:  # noqa: BLE001 - any Arrow/OS failure of a damaged file is one line
        raise ScenarioError(f"{path}: population.start_state: cannot read ({type(err).__name__})") from None
    labels = {"firm": sc.firm_names, "last_firm": sc.firm_names, "stage": list(L.STAGES)}
    labels["segment"] = [s.name for s in sc.population.segments]
    dtypes = {**dict(L.STATE), **OWN_DTYPES}
    columns: dict[str, np.ndarray] = {}
    customer = None
    for name in names:
        col = table.column(name).combine_chunks()
        if name == "customer":
            customer = _ids(path, col)
        elif name in labels:
            columns[name] = _names(path, name, col, labels[name])
        else:
            columns[name] = _numbers(path, name, col).astype(dtypes.get(name, "int32"))
    if "stage" in columns:
        cust, st = columns["firm"] >= 0, columns["stage"]
        outside = np.isin(st, (L.PROSPECT, L.LAPSED))
        wrong = np.flatnonzero(cust == outside)
        if len(wrong):
            i = int(wrong[0])
            who = "a customer" if cust[i] else "a non-customer (firm empty)"
            raise _fail(path, "stage", f"row {i} is {who} in stage {L.STAGES[st[i]]!r}")
    return StartState(path, rows, columns, customer)
