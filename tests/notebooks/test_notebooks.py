"""Every example notebook runs headless, top to bottom, without an error (nbclient).

The notebooks that use ``nk.connect()`` run twice: embedded (as under ``nbconvert`` with no
server) and against a real Jupyter server with Nebula, as a kernel in JupyterLab would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests._server import RunningServer

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
# Files the notebooks open by a relative path, copied beside them.
BESIDE = sorted(NOTEBOOKS_DIR.glob("*.workflow.*"))
CONNECTING = [p for p in NOTEBOOKS if "nk.connect()" in p.read_text()]


def _execute(path: Path, workdir: Path) -> None:
    copy = workdir / path.name
    shutil.copy(path, copy)
    for other in BESIDE:
        shutil.copy(other, workdir / other.name)
    notebook = nbformat.read(copy, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


def test_there_are_example_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} >= {
        "resources_tour.ipynb",
        "lookback_analytics.ipynb",
        "workflows_tour.ipynb",
    }
    assert CONNECTING


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_embedded(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No Jupyter server is around: connect() runs embedded in the notebook's .nebula/.
    monkeypatch.delenv("NEBULA_URL", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _execute(path, tmp_path)
    if path in CONNECTING:
        assert (tmp_path / ".nebula" / "nebula.duckdb").exists()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", CONNECTING, ids=[p.stem for p in CONNECTING])
def test_notebook_runs_against_a_server(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jupyter_server: RunningServer
) -> None:
    monkeypatch.setenv("NEBULA_URL", jupyter_server.url)
    monkeypatch.setenv("NEBULA_TOKEN", jupyter_server.token)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _execute(path, tmp_path)
    assert not (tmp_path / ".nebula").exists()  # everything went to the server's store
