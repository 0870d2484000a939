"""docs/tutorial.md runs: its ```python blocks are executed in order, in one namespace, in an empty folder
(the tutorial itself keeps to 5,000 people and one year, so this takes seconds once the kernels are compiled)."""

from __future__ import annotations

import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_tutorial_runs_end_to_end(tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = python_blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "tutorial"}
    try:
        for k, block in enumerate(blocks):
            exec(compile(block, f"{TUTORIAL.name} block {k + 1}", "exec"), namespace)
    finally:
        plt.close("all")
    out = capsys.readouterr().out
    # what the reader is told to look at is there
    assert "profit over the year" in out and "95% interval of the paired difference" in out
    assert {p.name for p in tmp_path.iterdir()} == {"overview.png", "customers.png"}
    assert len(namespace["runs"]) == 4 and namespace["low"] <= namespace["difference"].mean() <= namespace["high"]
    assert set(namespace["table"]["firm"]) == {"focal", "rival_1", "rival_2"}
    assert "<code>baseline</code>" in namespace["model"]._repr_html_()
