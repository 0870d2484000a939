"""What ``sim compare`` / ``sim sweep`` and the optimiser's closing compare (``sim.optimize.final``) share:
an experiment's settings as its results folder records them, the runs a folder still lacks, and the
callback that stores each finished run as it arrives (or its failure in ``failures.csv``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["experiment_meta", "runs_to_do", "Recorder"]


def experiment_meta(exp: Any) -> dict[str, Any]:
    """``experiment.json``'s content: the experiment, its arms, the runs' labels and the versions."""
    from sim.experiments.spec import label_of
    from sim.output.run import versions

    meta = exp.model_dump(mode="json")
    arms = [exp.baseline.name, *[s.name for s in exp.strategies]] if exp.kind == "compare" else []
    meta["arms"] = arms
    meta["reaction_names"] = [r.name for r in exp.reactions]
    # the runs' labels: strategy, or strategy@reaction when the rivals' reactions are compared
    meta["strategies"] = [label_of(a, r) for r in (meta["reaction_names"] or [None]) for a in arms]
    meta["baseline"] = exp.baseline.name if exp.baseline else None
    meta["versions"] = versions()
    return meta


def runs_to_do(folder: Path, specs: list) -> tuple[list, int]:
    """The runs of ``specs`` not complete in ``folder`` (damaged run files are deleted and redone), and
    how many were damaged."""
    from sim.experiments import store
    from sim.experiments.execute import expected_rows

    done, damaged = store.check_runs(folder, {s.key: expected_rows(s) for s in specs})
    for p in damaged:
        p.unlink(missing_ok=True)
    return [s for s in specs if s.key not in done], len(damaged)


class Recorder:
    """``execute``'s callback: each run's table to ``runs/``, each failure to ``failures.csv`` (rewritten
    whole, atomically); ``ran`` counts the runs finished, ``on_run`` is called after each."""

    def __init__(self, folder: Path, on_run: Callable[[], None] | None = None) -> None:
        self.folder, self.on_run = folder, on_run
        self.failures: list[dict[str, Any]] = []
        self.ran = 0

    def __call__(self, spec: Any, table: Any, err: str) -> None:
        from sim.experiments import store

        self.ran += 1
        if table is None:
            row = {"run_key": spec.key, "strategy": spec.label, "replication": spec.replication, "seed": spec.seed}
            self.failures.append({**row, "error": err})
            store.write_failures(self.folder, self.failures)
        else:
            store.write_run(self.folder, spec.key, table)
        if self.on_run is not None:
            self.on_run()
