"""The evaluation notebook runs top to bottom (so it cannot rot)."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def test_evaluation_notebook_executes(monkeypatch):
    monkeypatch.setenv("SKILLMATCH_EVAL_COURSES", "6000")
    nb = nbformat.read(ROOT / "notebooks" / "evaluation.ipynb", as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    outputs = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "hybrid+rules" in outputs
    assert "0 violations on every set" in outputs
