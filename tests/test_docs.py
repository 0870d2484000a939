"""The docs explain themselves: every claim ID cited anywhere in the repository has its entry in
docs/claims.md, no doc or README refers to a file outside the repository, and every relative link in
them points to a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "docs" / "claims.md"
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


def citing_files(root: Path = ROOT) -> list[Path]:
    """Every file that may cite a claim: code, tests, benchmarks, the YAML library, docs, README."""
    found = {
        *root.glob("sim/**/*.py"),
        *root.glob("sim/library/**/*.yaml"),
        *root.glob("tests/**/*.py"),
        *root.glob("benchmarks/**/*.py"),
        *root.glob("docs/*.md"),
        root / "README.md",
    }
    return sorted(p for p in found if p.is_file())


# ---------------------------------------------------------------- claim IDs
# An ID is a letter (Definition, Mechanism, Figure, Lever) and one or two digits, standing alone: not
# part of a longer word (T_F1, x86, 0xD1) or number (D123). "F1–F9" and "M2-M4" are ranges.
_ID = r"(?<![\w.])([DMFL])([1-9]\d?)(?![\w])"
_RANGE = re.compile(r"(?<![\w.])([DMFL])([1-9]\d?)\s*[–-]\s*\1?([1-9]\d?)(?![\w])")
_SINGLE = re.compile(_ID)
# things that look like claim IDs and are not: CPU caches ("L1/L2 caches"), the F1 score
_NOT_CLAIMS = re.compile(r"\bL[1-4](?:\s*/\s*L[1-4])*(?:\s+|-)(?:data\s+)?cach|\bF1[\s-]+(?:score|measure)", re.I)


def cited_ids(text: str) -> set[str]:
    """The claim IDs a text cites, ranges expanded."""
    text = _NOT_CLAIMS.sub(" ", text)
    ids: set[str] = set()
    for letter, lo, hi in _RANGE.findall(text):
        ids.update(f"{letter}{k}" for k in range(int(lo), int(hi) + 1))
    ids.update(letter + number for letter, number in _SINGLE.findall(text))
    return ids


def claim_entries(text: str) -> list[str]:
    """The IDs that docs/claims.md defines: one heading each, '### M1 Title'."""
    return re.findall(r"^#{2,4}\s+([DMFL][1-9]\d?)\b", text, flags=re.M)


def unresolved_ids(files: list[Path], entries: set[str], root: Path = ROOT) -> list[str]:
    """'path: ID' for every cited ID without an entry."""
    return [
        f"{path.relative_to(root)}: {cid}"
        for path in files
        for cid in sorted(cited_ids(path.read_text(encoding="utf-8")) - entries)
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("satisfaction by disconfirmation (M1)", {"M1"}),
        ("D6/D7 perceived performance; M2/M3 loyalty", {"D6", "D7", "M2", "M3"}),
        ("the documents' figures (F1–F4)", {"F1", "F2", "F3", "F4"}),
        ("delight and trust (M2-M4), levers L1–L3", {"M2", "M3", "M4", "L1", "L2", "L3"}),
        ("churn (D12): # D10 lifecycle", {"D12", "D10"}),
        ("the block stays in the L1/L2 caches; an L1 cache miss; the L2-cache", set()),
        ("an F1 score of 0.9", set()),
        ("36.4 M/s; x86-64-v3; 0xD1; T_F1; FP_M2; D123; version 1.D2; M0", set()),
    ],
)
def test_claim_id_pattern(text: str, expected: set[str]) -> None:
    assert cited_ids(text) == expected


def test_claims_page_has_one_entry_per_id() -> None:
    entries = claim_entries(CLAIMS.read_text(encoding="utf-8"))
    assert len(entries) == len(set(entries)), "an ID has two entries"
    for letter, count in (("D", 12), ("M", 16), ("F", 9), ("L", 14)):
        assert {f"{letter}{k}" for k in range(1, count + 1)} <= set(entries), letter


def test_every_cited_claim_id_has_an_entry() -> None:
    entries = set(claim_entries(CLAIMS.read_text(encoding="utf-8")))
    files = citing_files()
    assert len(files) > 50, "the scan found too few files to mean anything"
    assert unresolved_ids(files, entries) == []


def test_an_unknown_claim_id_is_reported(tmp_path: Path) -> None:
    unknown = "M" + "99"  # spelled in two parts so that this file does not cite it
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "mechanism.py").write_text(f"x = 1  # D6 and {unknown}\n", encoding="utf-8")
    entries = set(claim_entries(CLAIMS.read_text(encoding="utf-8")))
    assert unresolved_ids(citing_files(tmp_path), entries, tmp_path) == [f"sim/mechanism.py: {unknown}"]


# ---------------------------------------------------------------- links
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=\"([^\"]+)\"")
# a relative path to a document or data file that climbs with ../ (e.g. a sibling folder's digest)
_CLIMB = re.compile(r"(?<![\w.])((?:\.\./)+[\w./-]*\.(?:md|txt|py|ya?ml|json|csv|png|pdf|html?))\b")


def link_targets(text: str) -> list[str]:
    """Targets of the markdown and HTML links of a text, outside code."""
    text = _CODE.sub("", _FENCE.sub("", text))
    return [a or b for a, b in _LINK.findall(text)]


def _is_external(target: str) -> bool:
    return re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) is not None and not target.startswith("file:")


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown text."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", text), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        k, anchor = 0, slug
        while anchor in anchors:
            k += 1
            anchor = f"{slug}-{k}"
        anchors.add(anchor)
    return anchors


def outside_references(path: Path, root: Path = ROOT) -> list[str]:
    """Links or paths in a doc that leave the repository: absolute paths, file: URLs, ../ climbing out."""
    text = path.read_text(encoding="utf-8")
    bad = [t for t in link_targets(text) if t.startswith(("/", "~", "file:")) or re.match(r"[A-Za-z]:\\", t)]
    inside = root.resolve()
    for target in link_targets(text):
        if not (_is_external(target) or target.startswith(("/", "#"))):
            if not (path.parent / target.split("#")[0]).resolve().is_relative_to(inside):
                bad.append(target)
    # a path mentioned in the text may be meant from the page's folder or from the repository's root
    for target in _CLIMB.findall(text):
        if any(not (base / target).resolve().is_relative_to(inside) for base in (path.parent, root)):
            bad.append(target)
    return sorted(set(bad))


def broken_links(path: Path) -> list[str]:
    """Relative links of a doc whose file, or heading anchor in a markdown file, does not exist."""
    text = path.read_text(encoding="utf-8")
    bad = []
    for target in link_targets(text):
        if _is_external(target) or target.startswith(("/", "~")):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            bad.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in heading_anchors(dest.read_text(encoding="utf-8")):
            bad.append(target)
    return bad


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_do_not_refer_outside_the_repository(doc: Path) -> None:
    assert outside_references(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_in_docs_resolve(doc: Path) -> None:
    assert broken_links(doc) == []


def test_link_checks_catch_outside_and_broken_links(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "other.md").write_text("# Other page\n\n## M1 Satisfaction\n", encoding="utf-8")
    doc = repo / "docs" / "page.md"
    doc.write_text(
        "See [the digest](../../shared/domain.md), `../shared/domain.md`, [abs](/etc/hosts),\n"
        "[ok](other.md), [ok too](other.md#m1-satisfaction), [web](https://example.org/x.md),\n"
        "[gone](missing.md), [no such heading](other.md#m2), ![img](figure.png)\n"
        "```\n[in code](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert outside_references(doc, repo) == ["../../shared/domain.md", "../shared/domain.md", "/etc/hosts"]
    assert broken_links(doc) == ["../../shared/domain.md", "missing.md", "other.md#m2", "figure.png"]
