"""A scenario's or an experiment's name becomes the default output folder, so it must be one plain path
component: `name: ../../elsewhere` or an absolute path used to write results there (issue 23)."""

from __future__ import annotations

import pytest

from sim.cli import main


@pytest.mark.parametrize("name", ["../../../escape", "/an/absolute/path", "..", ".hidden", "a/b", ""])
def test_a_scenario_name_that_is_not_a_plain_folder_name_is_refused(tmp_path, monkeypatch, capsys, name) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(f"extends: baseline\nname: {name!r}\n")
    assert main(["run", "s.yaml", "--steps", "1", "--set", "population.size=300", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s.yaml: name:" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["s.yaml"]  # nothing written, here or above
    assert not (tmp_path.parent / "escape-seed0").exists()


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b"])
def test_an_experiment_name_that_is_not_a_plain_folder_name_is_refused(tmp_path, monkeypatch, capsys, name) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.yaml").write_text(
        f"name: {name!r}\nkind: compare\nbaseline: {{name: b, scenario: baseline}}\nstrategies: []\n"
    )
    assert main(["compare", "e.yaml", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "e.yaml: name:" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["e.yaml"]


def test_plain_names_still_work(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("extends: baseline\nname: my-scenario_2.v1\n")
    assert main(["run", "s.yaml", "--steps", "1", "--set", "population.size=300", "--quiet"]) == 0
    assert (tmp_path / "results" / "my-scenario_2.v1-seed0" / "summary.json").exists()


def test_the_dashboard_sends_no_telemetry_and_checks_no_version(monkeypatch) -> None:
    import subprocess

    seen = {}

    class FakeServer:  # `sim dashboard` starts `solara run` as a child and waits for it
        def __init__(self, cmd, env):
            seen["cmd"], seen["env"] = cmd, env

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeServer)
    assert main(["dashboard", "--port", "8799"]) == 0
    assert "--no-check-version" in seen["cmd"]
    assert seen["env"]["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
