"""Issue 21, for a new user: ``sim --version``, runnable examples under every ``--help``, ``sim results`` on
both kinds of folder, ``sim validate`` at 80 columns with its tally, output folders with normal permissions,
and the notebook API (``dir(sim)``, docstrings, ``_repr_html_``, figures returned, firm names in batch_run
rows, units in summary.json). Runs are tiny (a few hundred customers, a few weeks)."""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path

import pytest

import sim
from sim.cli import EPILOGS, _parser, main

TINY = ["--set", "population.size=300", "--steps", "3", "--quiet"]


def _subparsers() -> dict:
    ap = _parser()
    return next(a for a in ap._actions if a.__class__.__name__ == "_SubParsersAction").choices


def _examples(name: str) -> list[str]:
    """The example commands under ``sim NAME --help`` (comments dropped)."""
    text = _subparsers()[name].format_help()
    return [line.strip() for line in text.splitlines() if line.startswith(f"  sim {name}")]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sim {metadata.version('sim')} (Python ") and f"numba {metadata.version('numba')}" in out


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_every_subcommand_shows_two_examples_that_parse(name):
    assert name in EPILOGS, f"sim {name}: add two examples to sim.cli.EPILOGS"
    examples = _examples(name)
    assert len(examples) >= 2, _subparsers()[name].format_help()
    for cmd in examples:
        args = _parser().parse_args(shlex.split(cmd, comments=True)[1:])
        assert args.command == name


def test_sweep_help_names_a_sweep_file():
    """It named a compare file, which sim sweep rejects."""
    from sim.experiments.spec import load_experiment

    help_text = _subparsers()["sweep"].format_help()
    assert "retention_strategies" not in help_text
    for cmd in _examples("sweep"):
        exp, _ = load_experiment(shlex.split(cmd, comments=True)[2], {}, None)
        assert exp.kind == "sweep"


def test_the_run_and_results_examples_run(tmp_path, monkeypatch, capsys, umask_022):
    """The examples of sim run, sim compare and sim results, shrunk to a tiny market; sim results prints a
    run folder's summary (it refused one) and a compare folder's ranking; folders get mode 0755, not 0700."""
    monkeypatch.chdir(tmp_path)
    for k, cmd in enumerate(_examples("run")):
        assert main([*shlex.split(cmd, comments=True)[1:], "--out", f"run{k}", *TINY]) == 0
        assert stat.S_IMODE((tmp_path / f"run{k}").stat().st_mode) == 0o755
    summary = json.loads((tmp_path / "run0" / "summary.json").read_text())
    for firm in summary["firms"].values():  # every headline metric has its unit
        assert set(firm) <= set(summary["units"]), set(firm) - set(summary["units"])
    assert summary["units"]["profit_total"] == "currency units" and summary["units"]["steps"] == "weeks"
    compare = shlex.split(next(c for c in _examples("compare") if "teaching_bonds" in c), comments=True)[1:]
    tiny = ["--replications", "1", "--workers", "1", "--set", "population.size=200", "--set", "steps=2", "--quiet"]
    assert main([*compare, *tiny, "--out", "cmp"]) == 0
    capsys.readouterr()

    assert main(["results", "run0"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("baseline: seed 7, 3 weeks, 300 customers")
    assert {"focal", "rival_1", "rival_2"} <= {line.split()[0] for line in lines[2:5]}
    assert "currency units" in out and max(map(len, lines)) <= 80

    assert main(["results", "cmp"]) == 0
    out = capsys.readouterr().out
    assert "teaching_bonds (compare)" in out and "structural" in out and "baseline" in out

    # the same folders in a notebook
    run, cmp = sim.results("run0"), sim.results("cmp")
    assert run.kind == "run" and cmp.kind == "compare"
    assert set(run.runs["firm"]) == {"focal", "rival_1", "rival_2"} and run.ranking is None
    assert cmp.ranking["strategy"].iloc[0] in set(cmp.runs["strategy"])
    page = cmp._repr_html_()
    assert "teaching_bonds" in page and "structural" in page and "currency units" in page
    assert "currency units" in run._repr_html_() and "3 weeks" in run._repr_html_()


def test_validate_fits_80_columns_and_ends_with_its_tally(tmp_path, monkeypatch, capsys, umask_022):
    """Two cheap checks through the real command (the whole quick suite runs in test_validation.py), then
    the table alone with the longest texts of the suite."""
    from sim.validation import checks

    monkeypatch.setattr(checks, "CHECKS", {"clv": checks.check_clv, "sbg": checks.check_sbg})
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["validate", "--out", str(tmp_path / "val")]) == 0
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[-1] == "5/5 checks passed"
    assert stat.S_IMODE((tmp_path / "val").stat().st_mode) == 0o755
    rows = json.loads((tmp_path / "val" / "validation.json").read_text())["checks"]
    z = next(r for r in rows if "max |z|" in r["check"])
    assert z["reference"].startswith("< 3")  # not "0": the row passes for |z| < 3

    from sim.validation.rows import EMERGENT, NOT_MODELLED, Check, print_table

    name = "F6 causal: " + "the same customers' visits with and without the programme " * 2
    long = [
        Check(name, 1.032, "x " * 60, "3 SE", True),
        Check("F8: won and lost / net change", 5.5, "flows (a hotel loses 50)", ">= 3", False, kind=EMERGENT),
        Check("F9: credit grades A-D", float("nan"), "not modelled", "not checked", True, kind=NOT_MODELLED),
    ]
    print_table(long, "sim validate (quick) -> " + "results/validation/" * 3)
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert max(map(len, lines)) <= 80 and len(lines) < 30
    assert lines[-1] == "1 of 2 checks failed (1 figure not modelled yet)"


def test_model_in_a_notebook(tmp_path):
    import pydoc

    assert set(sim.__all__) <= set(dir(sim)) and "RelationshipMarket" in dir(sim) and "_LAZY" not in dir(sim)
    for name in sim.__all__:
        assert getattr(sim, name) is not None
    doc = pydoc.render_doc(sim.RelationshipMarket.__init__, renderer=pydoc.plaintext)
    assert "Build the market of" in doc and "Overload" not in doc
    assert "Fill in here" not in pydoc.render_doc(sim.RelationshipMarket.step, renderer=pydoc.plaintext)

    model = sim.RelationshipMarket("baseline", rng=3, overrides={"population.size": 400, "steps": 4})
    model.run_for(2)
    page = model._repr_html_()
    assert "<code>baseline</code>" in page and "step 2 of 4 weeks" in page and "400 people" in page
    for firm in model.firms:
        assert f"<th>{firm.name}</th>" in page and f"{firm.customers:,.0f}" in page
    assert "currency units" in page and "score 0-1" in page

    ts = model.timeseries()
    for draw in (sim.plots.overview_figure, sim.plots.markets_figure):
        fig = draw(ts)
        from matplotlib.figure import Figure

        assert isinstance(fig, Figure) and fig.axes and fig._repr_png_().startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == []  # nothing written without a path
    sim.plots.overview_figure(ts, tmp_path / "o.png", "t")
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]


def test_batch_run_rows_name_their_firm():
    import mesa
    import pandas as pd

    rows = mesa.batch_run(
        sim.RelationshipMarket,
        parameters={"population__size": 300, "steps": 2},
        rng=[1],
        max_steps=2,
        number_processes=1,
        display_progress=False,
    )
    table = pd.DataFrame(rows)
    assert set(table["firm"]) == {"focal", "rival_1", "rival_2"}
    # the same firm keeps its name from step to step
    assert table.groupby("AgentID")["firm"].nunique().eq(1).all()


def test_run_folder_is_not_private(tmp_path, umask_022):
    """mkdtemp makes 0700, which the renamed results folder kept."""
    from sim.output.run import write_atomically

    out = tmp_path / "a" / "b"
    write_atomically(out, False, lambda tmp: (tmp / "x.txt").write_text("x"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "x.txt").stat().st_mode) == 0o644
    assert Path(out, "x.txt").read_text() == "x"


# ---- the glossary in --help (issue 21): metric names with their labels and units, one-line errors


@pytest.mark.parametrize("name", ["compare", "sweep", "results", "optimize"])
def test_help_lists_the_metric_names_with_label_and_unit_from_the_glossary(name, monkeypatch):
    from sim.optimize import OBJECTIVES
    from sim.output import glossary as G

    text = _subparsers()[name].format_help()
    for m in OBJECTIVES if name == "optimize" else G.RUN_METRICS:
        line = next((x for x in text.splitlines() if x.split()[:1] == [m]), None)
        assert line is not None and G.label(m) in line, f"{m} not listed in sim {name} --help"
    assert "(currency units per week)" in text  # profit_per_period's unit, filled in
    head = text[: text.index("examples:")]
    assert max(map(len, head.splitlines())) <= 80, "the metric list must fit 80 columns"
    # the labels come from the glossary, not a copy: a changed label shows in the help
    monkeypatch.setitem(G.GLOSSARY, "churn_rate", G.Term("Lost per year", "people", "x"))
    assert "churn_rate" in _subparsers()[name].format_help().split("Lost per year (people)")[0].splitlines()[-1]


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "nowhere", "--metric", "proft"],
        ["compare", "teaching_bonds", "--metric", "proft", "--out", "cmp"],
        ["sweep", "bond_sweep", "--metric", "proft", "--out", "cmp"],
    ],
)
def test_a_wrong_metric_name_is_one_line_naming_the_option_and_the_closest_names(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("sim: error: --metric proft: unknown metric"), err
    assert "did you mean profit_total, profit_per_period?" in err
    assert not (tmp_path / "cmp").exists() and not (tmp_path / "results").exists()


def test_closest_names_by_word_and_spelling():
    from sim.output import glossary as G

    assert G.closest("proft", G.RUN_METRICS)[:2] == ["profit_total", "profit_per_period"]
    assert G.closest("retention", G.RUN_METRICS)[0] == "annual_retention"
    assert G.closest("churn", G.RUN_METRICS) == ["churn_rate"]
    assert G.closest("xyzzy", G.RUN_METRICS) == []


def test_glossary_command_lists_every_entry(monkeypatch, capsys):
    from sim.output import glossary as G

    monkeypatch.setenv("COLUMNS", "200")
    assert main(["glossary"]) == 0
    out = capsys.readouterr().out
    for name, entry in G.GLOSSARY.items():
        assert name in out and entry.label in out and entry.definition in out, name
    assert "currency units per week" in out and "* a run metric" in out
    assert main(["glossary", "retention"]) == 0
    out = capsys.readouterr().out
    assert "annual_retention *" in out and "profit_total" not in out
    assert main(["glossary", "prfit"]) == 2
    assert "try profit" in capsys.readouterr().err


def test_the_help_stays_light():
    """``sim --help`` builds every parser without numba, optuna, pandas, Mesa or pydantic (it takes 0.2 s)."""
    import subprocess
    import sys

    code = (
        "import sys, sim.cli; sim.cli._parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'optuna', 'pandas', 'mesa', 'pydantic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    """`sim results DIR | head`: the pipe closes before sim writes; sim stops quietly with 0, as Unix tools do
    (rich's own tables already stop with 1 and no traceback; this is for the plain prints around them)."""
    import subprocess
    import sys

    code = (
        "import sys, sim.cli as c\n"
        "c._dispatch = lambda args: [print('x' * 100) for _ in range(10000)] and 0\n"
        "sys.exit(c.main(['glossary']))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before sim has imported anything, so its first write meets a closed pipe
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_the_ranking_fits_80_columns_with_whole_names_and_exact_numbers(monkeypatch, capsys) -> None:
    """`sim compare`'s ranking at 80 columns: one line per strategy, its name whole, the numbers exact."""
    import pandas as pd

    from sim.experiments import tables

    ranking = pd.DataFrame(
        {
            "rank": [1, 2],
            "strategy": ["full_relationship_marketing", "transactional"],
            "mean": [4157079.4, 2606522.0],
            "diff_vs_baseline": [1550557.6, float("nan")],
            "diff_ci_low": [1499005.7, float("nan")],
            "diff_ci_high": [1602109.5, float("nan")],
            "prob_best": [1.0, 0.0],
            "group": [1, 2],
        }
    )
    monkeypatch.setenv("COLUMNS", "80")
    tables.print_ranking(ranking, meta={"currency": "EUR", "steps_per_year": 52})
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("EUR" in line for line in lines[:3])
    best = next(line for line in lines if "full_relationship_marketing" in line)
    assert "4,157,079" in best and "1,550,558 ± 51,552" in best
    assert any("transactional" in line and "baseline" in line for line in lines)
