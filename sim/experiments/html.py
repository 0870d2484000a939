"""report.html: the report's markdown as one self-contained page (figures embedded as base64 PNG, styles
inline, no external link or script), so a strategist can e-mail the single file. Python-Markdown converts."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown

from sim.experiments.store import write_text_atomically

__all__ = ["to_html", "write_html"]

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.2rem}
th,td{border:1px solid #ccc;padding:0.25rem 0.6rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f2f2f2}
img{max-width:100%;height:auto}
code{background:#f4f4f4;padding:0 0.2rem}
"""

_IMG = re.compile(r'<img alt="([^"]*)" src="([^"]+)"')


def to_html(md_text: str, folder: Path, title: str) -> str:
    """The markdown as a whole HTML page; images under ``folder`` are embedded (data: URIs)."""
    body = markdown.markdown(md_text, extensions=["tables"], output_format="html")

    def embed(m: re.Match) -> str:
        path = folder / m.group(2)
        if not path.is_file():
            return f'<img alt="{m.group(1)} (missing)" src=""'
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'<img alt="{m.group(1)}" src="data:image/png;base64,{data}"'

    body = _IMG.sub(embed, body)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_html(path: Path, md_text: str, folder: Path, title: str) -> None:
    write_text_atomically(path, to_html(md_text, folder, title))
