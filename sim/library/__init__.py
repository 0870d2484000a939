"""The library shipped inside the package: scenario files (``scenarios/*.yaml``) and experiment files
(``experiments/*.yaml``), addressable by name, so ``sim run baseline`` works from any folder and from an
installed wheel, not only inside a checkout.

A floor as low as ``sim.scenario``: this module imports nothing of ``sim``. Names resolve through
:mod:`importlib.resources`; the files are package data (pyproject ``[tool.setuptools.package-data]``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = [
    "UnknownName",
    "scenario_names",
    "experiment_names",
    "scenario_path",
    "experiment_path",
    "is_path",
]

SUFFIX = ".yaml"


class UnknownName(LookupError):
    """A name that is not in the library; ``str(err)`` is one line naming it and listing the names there are."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _folder(kind: str) -> Path:
    # an installed package is a folder on disk (wheels are unpacked), so the Traversable is a real path
    return Path(str(resources.files(__name__).joinpath(kind)))


def _names(kind: str) -> list[str]:
    folder = _folder(kind)
    return sorted(p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (file names without ``.yaml``), sorted."""
    return _names("scenarios")


def experiment_names() -> list[str]:
    """Names of the shipped experiments (file names without ``.yaml``), sorted."""
    return _names("experiments")


def _path(kind: str, name: str) -> Path:
    names = _names(kind)
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    if stem not in names:  # also keeps any '..' or '/' out: only listed names resolve
        one = "a scenario" if kind == "scenarios" else "an experiment"
        raise UnknownName(f"{name}: no such file, and not {one} of the library (names: {', '.join(names)})")
    return _folder(kind) / f"{stem}{SUFFIX}"


def scenario_path(name: str) -> Path:
    """The file of a shipped scenario (``"baseline"`` or ``"baseline.yaml"``); :class:`UnknownName` if none."""
    return _path("scenarios", name)


def experiment_path(name: str) -> Path:
    """The file of a shipped experiment (``"retention_strategies"``); :class:`UnknownName` if none."""
    return _path("experiments", name)


def is_path(ref: str | Path, base: Path | None = None) -> bool:
    """Whether a command-line reference is a path rather than a library name: a ``Path`` object, anything
    with a folder separator or a ``.yaml``/``.yml`` suffix, or an existing file (relative to ``base``)."""
    if isinstance(ref, Path):
        return True
    if "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml")):
        return True
    return ((base or Path.cwd()) / ref).is_file()
