"""Faults and bad input around one run (``sim run``) and the Python API (issue 23).

Each test reproduced its failure before the fix. Faults that need a real device (disk full, a
read-only mount) are simulated by raising the OS error (ENOSPC, EROFS) where the write happens.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from sim.cli import main

SMALL = ("--set", "population.size=300", "--steps", "5")  # under a year: annual retention is undefined


def _run(tmp_path: Path, capsys, *extra: str, out: Path | None = None) -> tuple[int, str, Path]:
    out = out if out is not None else tmp_path / "out"
    code = main(["run", "baseline", "--out", str(out), "--quiet", *SMALL, *extra])
    return code, capsys.readouterr().err, out


def _refuse_constants(name: str) -> float:
    raise ValueError(f"non-strict JSON constant {name}")


# 1. summary.json is strict JSON -------------------------------------------------------------


def test_summary_json_is_strict_json_for_a_run_under_a_year(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_refuse_constants)
    assert summary["firms"]["focal"]["annual_retention"] is None
    assert math.isfinite(summary["firms"]["focal"]["profit_total"])


def test_strict_json_writes_null_for_nan_and_inf():
    from sim.output.run import strict_json

    text = strict_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": {"d": float("nan")}})
    assert json.loads(text, parse_constant=_refuse_constants) == {"a": None, "b": [None, None, 1.5], "c": {"d": None}}


def test_cli_summary_table_prints_an_undefined_retention(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "baseline", "--out", str(out), *SMALL])
    assert code == 0
    assert "n/a" in capsys.readouterr().out


# 2. bad seeds and overrides: the project's own error, one line --------------------------------


def test_negative_seed_is_one_line_exit_2_and_nothing_written(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys, "--seed", "-1")
    assert code == 2
    assert err.count("\n") == 1 and "--seed -1" in err and "non-negative" in err
    assert not out.exists()


@pytest.mark.parametrize("rng", [-1, "x", 1.5, True, [1, 2]])
def test_api_bad_rng_raises_scenario_error(rng):
    from sim.model import RelationshipMarket
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"^rng=.*: ") as info:
        RelationshipMarket(None, rng=rng, overrides={"population.size": 100})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("overrides", [{1: 2}, {("population", "size"): 100}, ["population.size"], "population.size"])
def test_api_bad_overrides_raise_scenario_error(overrides):
    from sim.model import RelationshipMarket
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"^overrides") as info:
        RelationshipMarket(None, rng=0, overrides=overrides)
    assert "\n" not in str(info.value)


def test_api_good_rng_still_accepted():
    import numpy as np

    from sim.model import RelationshipMarket

    over = {"population.size": 100, "steps": 1}
    a = RelationshipMarket(None, rng=np.int64(3), overrides=over)  # Mesa itself refused numpy integers
    b = RelationshipMarket(None, rng=3, overrides=over)
    assert a.kernel_seed == b.kernel_seed
    for rng in (None, np.random.default_rng(3), np.random.SeedSequence(3)):
        assert RelationshipMarket(None, rng=rng, overrides=over).kernel_seed >= 0


# 3. an unwritable --out is refused before the simulation ------------------------------------


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a model is built: the refusal must come before any simulating."""
    from sim.model import RelationshipMarket

    def refuse(self, *a, **k):
        raise AssertionError("the simulation ran before the output location was checked")

    monkeypatch.setattr(RelationshipMarket, "__init__", refuse)


def _one_line_exit_2(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("sim: error: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("where", ["/proc/sim-out", "/sys/sim-out", "/proc/self/sim-out"])
def test_out_under_proc_or_sys_is_refused_before_running(tmp_path, capsys, no_simulation, where):
    code, err, _ = _run(tmp_path, capsys, out=Path(where))
    _one_line_exit_2(code, err)
    assert where in err and "cannot write" in err


def test_out_below_a_file_is_refused_before_running(tmp_path, capsys, no_simulation):
    (tmp_path / "afile").write_text("x")
    code, err, out = _run(tmp_path, capsys, out=tmp_path / "afile" / "deeper" / "out")
    _one_line_exit_2(code, err)
    assert "not a folder" in err and str(tmp_path / "afile") in err
    assert (tmp_path / "afile").read_text() == "x"


def test_read_only_location_is_refused_before_running(tmp_path, capsys, no_simulation, monkeypatch):
    import errno
    import os
    import tempfile

    real = tempfile.mkdtemp

    def read_only(*a, dir=None, **k):  # what a read-only mount answers (chmod does not stop root)
        if dir is not None and Path(dir).is_relative_to(tmp_path / "ro"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
        return real(*a, dir=dir, **k)

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    (tmp_path / "ro").mkdir()
    code, err, out = _run(tmp_path, capsys, out=tmp_path / "ro" / "sub" / "out")
    _one_line_exit_2(code, err)
    assert "Read-only file system" in err
    assert list((tmp_path / "ro").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0o555")
def test_chmod_read_only_folder_is_refused(tmp_path, capsys, no_simulation):
    (tmp_path / "ro").mkdir(mode=0o555)
    code, err, _ = _run(tmp_path, capsys, out=tmp_path / "ro" / "out")
    _one_line_exit_2(code, err)


def test_api_run_scenario_checks_the_location_first(tmp_path, no_simulation):
    from sim.output.run import OutputNotWritableError, run_scenario
    from sim.scenario import load_scenario

    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputNotWritableError):
        run_scenario(load_scenario("baseline"), 0, tmp_path / "afile" / "out")


# 4. disk full during the write: one line, exit 2, nothing half-written ------------------------


@pytest.fixture
def disk_full_at(monkeypatch):
    """Make the write of one results file run out of space after a few bytes (as a full disk does)."""
    import errno

    import pandas as pd

    real = pd.DataFrame.to_parquet

    def arm(name: str) -> None:
        def to_parquet(self, path, *a, **k):
            if Path(path).name == name:
                Path(path).write_bytes(b"PAR1 half")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(self, path, *a, **k)

        monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)

    return arm


def test_disk_full_during_the_write_is_one_line_and_leaves_nothing(tmp_path, capsys, disk_full_at):
    disk_full_at("customers.parquet")
    code, err, out = _run(tmp_path, capsys)
    _one_line_exit_2(code, err)
    assert "No space left on device" in err and str(out) in err
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling


def test_disk_full_during_a_forced_replace_keeps_the_old_results(tmp_path, capsys, disk_full_at):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    disk_full_at("timeseries.parquet")
    code, err, _ = _run(tmp_path, capsys, "--force")
    _one_line_exit_2(code, err)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["summary.json"] and (out / "summary.json").read_text() == "{}"


def test_disk_full_removes_the_parent_folders_it_made(tmp_path, capsys, disk_full_at):
    (tmp_path / "keep").mkdir()
    disk_full_at("timeseries.parquet")
    code, err, _ = _run(tmp_path, capsys, out=tmp_path / "keep" / "new" / "deeper" / "out")
    _one_line_exit_2(code, err)
    assert [p.name for p in tmp_path.iterdir()] == ["keep"] and list((tmp_path / "keep").iterdir()) == []


# 5. Ctrl-C: "interrupted", cleaned up, exit 130 -----------------------------------------------


def _ctrl_c(*a, **k):
    raise KeyboardInterrupt


def _interrupted(code: int, err: str) -> None:
    assert code == 130, err
    assert err == "sim: interrupted\n"


def test_ctrl_c_during_the_run(tmp_path, capsys, monkeypatch):
    from sim.model import RelationshipMarket

    monkeypatch.setattr(RelationshipMarket, "step", _ctrl_c)
    code, err, _ = _run(tmp_path, capsys)
    _interrupted(code, err)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_the_write_removes_the_temporary_folder(tmp_path, capsys, monkeypatch):
    import sim.output.plots

    monkeypatch.setattr(sim.output.plots, "markets_figure", _ctrl_c)
    code, err, _ = _run(tmp_path, capsys)
    _interrupted(code, err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("module", "name", "argv"),
    [
        ("sim.validation.checks", "run_checks", ["validate", "--json"]),
        ("sim.experiments.cli", "cmd_experiment", ["compare", "x.yaml"]),
        ("sim.experiments.cli", "cmd_results", ["results", "x"]),
        ("sim.cli", "_cmd_dashboard", ["dashboard"]),
    ],
)
def test_ctrl_c_in_every_subcommand(tmp_path, capsys, monkeypatch, module, name, argv):
    import importlib

    monkeypatch.setattr(importlib.import_module(module), name, _ctrl_c)
    if argv[0] == "validate":
        argv = [*argv, "--out", str(tmp_path / "v")]
    _interrupted(main(argv), capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_real_sigint_exits_130_without_a_traceback(tmp_path):
    import subprocess
    import sys

    code = (
        "import os, signal, sys\n"
        "import sim.output.plots as plots\n"
        "plots.overview_figure = lambda *a, **k: os.kill(os.getpid(), signal.SIGINT)\n"
        "from sim.cli import main\n"
        f"sys.exit(main(['run', 'baseline', '--out', 'out', '--quiet', *{list(SMALL)!r}]))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 130, p.stderr
    assert p.stderr == "sim: interrupted\n"
    assert list(tmp_path.iterdir()) == []


# 6. stale temporaries of a killed write are cleaned by the next write of the same target ------


def _killed_mid_write(tmp_path: Path) -> int:
    """A real SIGKILL during write_atomically: returns the dead writer's pid."""
    import subprocess
    import sys

    code = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from sim.output.run import write_atomically\n"
        "def write(tmp):\n"
        "    (tmp / 'half.parquet').write_bytes(b'PAR1')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "write_atomically(Path('out'), False, write)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    assert p.wait(timeout=60) == -9
    return p.pid


def test_stale_temporaries_of_the_same_target_are_removed(tmp_path):
    from sim.output.run import write_atomically

    dead = _killed_mid_write(tmp_path)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(f".out.tmp-{dead}-")  # what a SIGKILL leaves
    (tmp_path / f".out.old-{dead}").mkdir()  # killed between moving the old results aside and deleting them
    (tmp_path / f".out.old-{dead}" / "summary.json").write_text("{}")
    keep = [
        f".out.tmp-{os.getpid()}-live",  # a live writer's (this process)
        ".out.tmp-1-live",  # a live writer's (another process)
        f".other.tmp-{dead}-abcd",  # another target's
        f".out.tmp-{dead}",  # not a name write_atomically makes
    ]
    for name in keep:
        (tmp_path / name).mkdir()

    write_atomically(tmp_path / "out", False, lambda tmp: (tmp / "a.txt").write_text("new"))

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, "out"])
    assert (tmp_path / "out" / "a.txt").read_text() == "new"


def test_sim_run_cleans_a_stale_temporary(tmp_path, capsys):
    dead = _killed_mid_write(tmp_path)
    code, err, out = _run(tmp_path, capsys)
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["out"], dead


def test_force_over_a_file_leaves_no_old_copy(tmp_path, capsys):
    (tmp_path / "afile").write_text("old")
    code, err, out = _run(tmp_path, capsys, "--force", out=tmp_path / "afile")
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["afile"] and (out / "summary.json").exists()
