"""Every example notebook runs headless, top to bottom, without an error (nbclient)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_example_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"resources_tour.ipynb", "lookback_analytics.ipynb"}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run a copy in a scratch directory: the embedded store lands in its .nebula/, and no
    # Jupyter server is around, so connect() runs embedded as under nbconvert.
    monkeypatch.delenv("NEBULA_URL", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    if path.stem == "resources_tour":  # it used connect(): embedded, next to the notebook
        assert (tmp_path / ".nebula" / "nebula.duckdb").exists()
