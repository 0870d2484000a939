"""Every class of bad input: one line naming the file and field, exit code 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, scenario_from_dict


def _run_cli(tmp_path: Path, capsys, scenario: Path | str, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code = main(["run", str(scenario), "--out", str(out), "--quiet", *extra])
    err = capsys.readouterr().err
    return code, err, out


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("population:\n  size: 1000\n  colour: red\n", "population.colour", "unknown key"),
        ("population:\n  size: many\n", "population.size", "valid integer"),
        ("population:\n  size: -5\n", "population.size", "greater than or equal to 1"),
        ("firms:\n  - name: focal\n    recovery_rate: 1.5\n", "firms.focal.recovery_rate", "less than or equal to 1"),
        ("dynamics:\n  churn:\n    switch_share: -0.1\n", "dynamics.churn.switch_share", "greater than or equal to 0"),
        ("steps: [1, 2]\n", "steps", "valid integer"),
        ("population: {size: 10, segments: [{name: a, share: 0.5}]}\n", "population", "sum to 1"),
    ],
)
def test_bad_values_are_named(tmp_path, capsys, text, field, words):
    path = _write(tmp_path, text)
    code, err, out = _run_cli(tmp_path, capsys, path)
    assert code == 2
    assert err.count("\n") == 1, err
    assert str(path) in err and f": {field}:" in err and words in err
    assert "Traceback" not in err
    assert not out.exists()


def test_malformed_yaml(tmp_path, capsys):
    path = _write(tmp_path, "population:\n  size: [1, 2\n")
    code, err, out = _run_cli(tmp_path, capsys, path)
    assert code == 2 and "malformed YAML" in err and str(path) in err and err.count("\n") == 1
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    code, err, out = _run_cli(tmp_path, capsys, tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml: file not found" in err
    assert not out.exists()


def test_unreadable_file(tmp_path, capsys):
    folder = tmp_path / "a_folder.yaml"
    folder.mkdir()
    code, err, out = _run_cli(tmp_path, capsys, folder)
    assert code == 2 and "cannot read file" in err and not out.exists()


def test_top_level_not_a_mapping(tmp_path, capsys):
    code, err, _ = _run_cli(tmp_path, capsys, _write(tmp_path, "- 1\n- 2\n"))
    assert code == 2 and "expected a mapping" in err


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("population.size=-3", "population.size"),
        ("firms.nobody.budget.retention=5", "firms.nobody: no list item"),
        ("dynamics.wom.referral_conversion=2", "dynamics.wom.referral_conversion"),
        ("dynamics.typo=1", "dynamics.typo: unknown key"),
        ("novalue", "expected dotted.key=value"),
    ],
)
def test_bad_overrides(tmp_path, capsys, baseline_path, option, words):
    code, err, out = _run_cli(tmp_path, capsys, baseline_path, "--set", option)
    assert code == 2 and words in err and err.count("\n") == 1
    assert not out.exists()


def test_yaml_is_safe_loaded(tmp_path):
    path = _write(tmp_path, "name: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(ScenarioError, match="malformed YAML"):
        load_scenario(path)
    assert not (Path.cwd() / "pwned").exists()


def test_refuses_to_overwrite(tmp_path, capsys, baseline_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    code = main(["run", str(baseline_path), "--out", str(out), "--quiet", "--set", "population.size=500"])
    assert code == 2 and "--force" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "precious"


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=5))
def test_probabilities_accepted_iff_in_unit_interval(x):
    try:
        sc = scenario_from_dict({"dynamics": {"complaints": {"probability": x}}}, "h.yaml")
        assert 0.0 <= x <= 1.0 and sc.dynamics.complaints.probability == x
    except ScenarioError as err:
        assert not 0.0 <= x <= 1.0
        assert "dynamics.complaints.probability" in str(err)


def test_file_over_the_size_limit(tmp_path, capsys):
    from sim.scenario.loading import MAX_BYTES

    path = _write(tmp_path, "name: big\n" + "#" * MAX_BYTES + "\n")
    code, err, out = _run_cli(tmp_path, capsys, path)
    assert code == 2 and f"{path}: file too large" in err and err.count("\n") == 1
    assert not out.exists()
    path.write_text("name: fits\n" + "#" * (MAX_BYTES - 20) + "\n")  # just under the limit still loads
    assert load_scenario(path).name == "fits"


def _no_hang(seconds: int = 10):
    """Fail (instead of hanging the suite) if the code under test blocks, e.g. opening a FIFO."""
    import signal

    def boom(*_: object) -> None:
        raise TimeoutError("blocked reading a non-regular file")

    signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")
@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "fifo_experiment", "fifo_extends"])
def test_non_regular_files_are_refused_at_once(tmp_path, capsys, kind):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    target = {"dev_zero": Path("/dev/zero"), "fifo": fifo, "fifo_experiment": fifo}.get(kind)
    if kind == "fifo_extends":
        target = _write(tmp_path, "extends: pipe.yaml\n")
    _no_hang()
    try:
        if kind == "fifo_experiment":
            code = main(["compare", str(target), "--out", str(tmp_path / "out")])
            err = capsys.readouterr().err
        else:
            code, err, _ = _run_cli(tmp_path, capsys, target)
    finally:
        import signal

        signal.alarm(0)
    assert code == 2 and "not a regular file" in err and err.count("\n") == 1, err
    assert str(target) in err
    assert not (tmp_path / "out").exists()
