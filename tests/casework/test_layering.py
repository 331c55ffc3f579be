"""The persistence and casework layers import neither the HTTP layer nor the web pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["service/db", "service/security", "service/casework"]
FORBIDDEN = ("service.api", "service.web", "service.app", "service.deps", "fastapi")


@pytest.mark.parametrize(
    "path", [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))], ids=str
)
def test_no_upward_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    bad = [m for m in imported if m.startswith(FORBIDDEN)]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
