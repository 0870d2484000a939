"""The shipped library (sim.library): scenarios and experiments by name, from any folder; a path stays a
path; an unknown name is one line listing the names there are; ``extends:`` reads only beside the file
or from the library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim import library
from sim.cli import main
from sim.experiments.spec import expand, load_experiment
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "sim" / "library"
TINY = ["--set", "population.size=300", "--steps", "2", "--quiet"]


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch) -> Path:
    """Commands run from an empty folder, so nothing can be found relative to the checkout."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_names_list_the_shipped_files():
    assert library.scenario_names() == sorted(p.stem for p in (SHIPPED / "scenarios").glob("*.yaml"))
    assert library.experiment_names() == sorted(p.stem for p in (SHIPPED / "experiments").glob("*.yaml"))
    assert {"baseline", "social_bonds", "loyalty_program_stopped"} <= set(library.scenario_names())
    assert {"retention_strategies", "bond_sweep"} <= set(library.experiment_names())
    base = library.scenario_path("baseline")
    assert base == library.scenario_path("baseline.yaml") == SHIPPED / "scenarios" / "baseline.yaml"
    assert library.experiment_path("bond_sweep") == SHIPPED / "experiments" / "bond_sweep.yaml"


@pytest.mark.parametrize("name", ["nope", "../scenarios/baseline", "..", "", "retention_strategies"])
def test_only_listed_names_resolve(name):
    with pytest.raises(library.UnknownName, match="baseline, cdnow, coopetition"):
        library.scenario_path(name)


def test_library_module_imports_nothing_of_sim():
    source = (SHIPPED / "__init__.py").read_text()
    assert "import sim" not in source and "from sim" not in source


def test_a_name_and_a_path_give_the_same_scenario(empty_cwd):
    by_name = load_scenario("loyalty_program_stopped")
    by_path = load_scenario(ROOT / "scenarios" / "loyalty_program_stopped.yaml")
    assert by_name.to_dict() == by_path.to_dict()
    assert load_scenario("baseline").name == "baseline"


@pytest.mark.parametrize(
    ("ref", "is_path"),
    [("baseline", False), ("baseline.yaml", True), ("x.yml", True), ("./baseline", True), ("a/b", True)],
)
def test_what_counts_as_a_path(empty_cwd, ref, is_path):
    assert library.is_path(ref) is is_path
    assert library.is_path(Path(ref)) is True


def test_an_existing_file_is_a_path_even_without_suffix(empty_cwd):
    (empty_cwd / "baseline").write_text("name: mine\nsteps: 3\n")
    assert library.is_path("baseline")
    assert load_scenario("baseline").name == "mine"
    with pytest.raises(ScenarioError, match="baseline.yaml: file not found"):
        load_scenario("baseline.yaml")  # a .yaml suffix makes it a path, and there is none here


def test_run_by_name_from_an_empty_folder(empty_cwd):
    assert main(["run", "baseline", "--out", "out", *TINY]) == 0
    assert (empty_cwd / "out" / "summary.json").exists()


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["run", "basline", "--out", "out", "--quiet"], "a scenario"),
        (["dashboard", "basline", "--port", "1"], "a scenario"),
        (["compare", "retention_strategys", "--out", "out"], "an experiment"),
        (["sweep", "bond_swep", "--out", "out"], "an experiment"),
    ],
)
def test_unknown_name_is_one_line_listing_the_names(empty_cwd, capsys, argv, kind):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and argv[1] in err and f"not {kind} of the library" in err
    listed = library.scenario_names() if kind == "a scenario" else library.experiment_names()
    assert ", ".join(listed) in err
    assert list(empty_cwd.iterdir()) == []  # nothing written


def test_experiments_by_name_and_their_scenarios_by_name(empty_cwd):
    exp, base = load_experiment("retention_strategies")
    assert base == SHIPPED / "experiments"
    assert all("/" not in s.scenario for s in [exp.baseline, *exp.strategies])  # the shipped files use names
    specs, _ = expand(exp.model_copy(update={"replications": 1}), base)
    by_label = {s.label: s.scenario for s in specs}
    assert by_label["social_bonds"] == load_scenario("social_bonds", exp.set).to_dict() != by_label["transactional"]
    for name in library.experiment_names():
        if "kind: optimize" in library.experiment_path(name).read_text():  # sim optimize's files (sim.optimize.spec)
            from sim.optimize.spec import load_optimization

            assert load_optimization(name)[0].budget is not None
            continue
        exp, base = load_experiment(name)
        assert expand(exp.model_copy(update={"replications": 1}), base)[0]


def test_experiment_scenarios_by_relative_path_still_work(tmp_path):
    exp_file = tmp_path / "e.yaml"
    (tmp_path / "mine.yaml").write_text("extends: baseline\nname: mine\n")
    exp_file.write_text(
        "name: e\nreplications: 1\nbaseline: {name: a, scenario: mine.yaml}\n"
        "strategies: [{name: b, scenario: baseline}, {name: c, scenario: ./mine.yaml}]\n"
    )
    exp, base = load_experiment(exp_file)
    specs, _ = expand(exp, base)
    assert [s.scenario["name"] for s in specs] == ["mine", "baseline", "mine"]
    exp_file.write_text(exp_file.read_text().replace("./mine.yaml", "mine"))  # a name, and not the library's
    with pytest.raises(ScenarioError, match="strategy c: mine: no such file, and not a scenario of the library"):
        expand(*load_experiment(exp_file))


def test_compare_by_name_from_an_empty_folder(empty_cwd, capsys):
    code = main(
        ["compare", "teaching_bonds", "--replications", "1", "--workers", "1", "--quiet", "--out", "out"]
        + ["--set", "population.size=300", "--set", "steps=2"]
    )
    assert code == 0 and (empty_cwd / "out" / "report.md").exists()


# ---------------------------------------------------------------- extends
def _scenario(folder: Path, text: str, name: str = "child.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("parent", ["baseline", "baseline.yaml"])
def test_extends_a_library_scenario_by_name(tmp_path, parent):
    sc = load_scenario(_scenario(tmp_path, f"extends: {parent}\nsteps: 7\n"))
    expected = load_scenario("baseline").to_dict()
    assert sc.steps == 7 and {**sc.to_dict(), "steps": expected["steps"]} == expected


def test_extends_prefers_a_file_beside_it(tmp_path):
    _scenario(tmp_path, "name: local_base\nsteps: 5\n", "baseline.yaml")
    assert load_scenario(_scenario(tmp_path, "extends: baseline\n")).name == "local_base"
    assert load_scenario(_scenario(tmp_path, "extends: baseline.yaml\n")).name == "local_base"
    _scenario(tmp_path / "sub", "name: deeper\n", "base.yaml")
    assert load_scenario(_scenario(tmp_path, "extends: sub/base.yaml\n")).name == "deeper"


@pytest.mark.parametrize("parent", ["../outside.yaml", "../../../etc/passwd", "/etc/hostname", "sub/../../outside.yaml"])
def test_extends_cannot_leave_the_folder(tmp_path, capsys, parent):
    (tmp_path / "outside.yaml").write_text("name: outside\n")
    child = _scenario(tmp_path / "here", f"extends: {parent}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert str(err.value).startswith(f"{child}: extends:") and "outside the file's folder" in str(err.value)
    assert main(["run", str(child), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert capsys.readouterr().err.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_extends_cannot_leave_the_folder_through_a_symlink(tmp_path):
    (tmp_path / "outside.yaml").write_text("name: outside\n")
    here = tmp_path / "here"
    here.mkdir()
    (here / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(ScenarioError, match="outside the file's folder"):
        load_scenario(_scenario(here, "extends: link.yaml\n"))


@pytest.mark.parametrize(("text", "words"), [("- 1\n- 2\n", "is not a scenario"), ("just text\n", "is not a scenario")])
def test_extends_a_parent_that_is_not_a_mapping(tmp_path, text, words):
    _scenario(tmp_path, text, "parent.yaml")
    child = _scenario(tmp_path, "extends: parent.yaml\n")
    with pytest.raises(ScenarioError, match=words) as err:
        load_scenario(child)
    assert str(err.value).startswith(f"{child}: extends:")


def test_extends_missing_and_circular(tmp_path):
    with pytest.raises(ScenarioError, match=r"extends: file not found \(nothing\.yaml\), nor a library scenario"):
        load_scenario(_scenario(tmp_path, "extends: nothing.yaml\n"))
    _scenario(tmp_path, "extends: b.yaml\n", "a.yaml")
    _scenario(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(tmp_path / "a.yaml")
