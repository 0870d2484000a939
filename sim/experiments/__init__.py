"""Experiments: many runs of the engine — strategy comparisons and parameter sweeps — with common random
numbers, confidence intervals, resumable storage and serial / process-pool / Dask execution.

spec (what to run) -> execute (run it, any backend) -> store (one Parquet file per run) -> stats -> report.
"""

__all__ = ["spec", "design", "execute", "metrics", "store", "stats", "report"]
