"""``nebula``: Nebula from a shell.

    nebula resources get Task t-1
    nebula resources put Task t-1 '{"title": "Write docs"}' --if-match <etag>
    nebula resources history Task t-1 --json
    nebula resources find '{"find": {"state": "Done"}, "__At": "current"}'
    nebula validate etl.workflow.yaml
    nebula run etl.workflow.yaml --input '{"name": "Ada"}'
    nebula executions list
    nebula lab

Where the store is: ``--url``/``--token`` (or ``NEBULA_URL``/``NEBULA_TOKEN``) for a running
Jupyter server with Nebula, else ``--db`` (or ``NEBULA_PATH``), an embedded DuckDB file
(default ``.nebula/nebula.duckdb``). Exit codes: 0 success, 1 a Nebula error (message on
stderr, or a JSON error object with ``--json``), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel._time import parse_instant
from nebula_kernel.cli._output import emit
from nebula_kernel.errors import InvalidRequest, NebulaError
from nebula_kernel.resources import MUST_NOT_EXIST, ETagPrecondition

if TYPE_CHECKING:
    from nebula_kernel.client import Resources

__all__ = ["main"]


def _json_argument(text: str, what: str) -> Any:
    source = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); pass a JSON document or @file.json."
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nebula", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("NEBULA_URL"),
        help="a Jupyter server with Nebula (default: $NEBULA_URL)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("NEBULA_TOKEN", ""),
        help="its token (default: $NEBULA_TOKEN)",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("NEBULA_PATH"),
        help="embedded DuckDB file (default: $NEBULA_PATH or .nebula/nebula.duckdb)",
    )
    parser.add_argument("--star", help="universe.galaxy.star (default: the store's default)")
    parser.add_argument("--json", action="store_true", help="print JSON, for scripts")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    resources = commands.add_parser(
        "resources", help="read and write resources", description="Read and write resources."
    )
    actions = resources.add_subparsers(dest="action", required=True, metavar="ACTION")
    get = actions.add_parser("get", help="the current value, or the one valid --as-of a time")
    get.add_argument("type")
    get.add_argument("id")
    get.add_argument("--as-of", type=str, help="ISO 8601 time")
    put = actions.add_parser("put", help="create or replace a resource")
    put.add_argument("type")
    put.add_argument("id")
    put.add_argument("value", help="a JSON object, or @file.json")
    guard = put.add_mutually_exclusive_group()
    guard.add_argument("--if-match", metavar="ETAG", help="only if the resource has this eTag")
    guard.add_argument("--if-absent", action="store_true", help="only if it does not exist")
    delete = actions.add_parser("delete", help="delete a resource (its history stays)")
    delete.add_argument("type")
    delete.add_argument("id")
    delete.add_argument("--if-match", metavar="ETAG")
    history = actions.add_parser("history", help="every snapshot, oldest first")
    history.add_argument("type")
    history.add_argument("id")
    listing = actions.add_parser("list", help="current resources of a type")
    listing.add_argument("type")
    listing.add_argument("--limit", type=int, default=100)
    find = actions.add_parser(
        "find",
        help='a Lookback query (JSON), e.g. \'{"find": {"state": "Done"}, "__At": "current"}\'',
    )
    find.add_argument("query", help="a JSON query, or @file.json")

    validate = commands.add_parser(
        "validate", help="check a workflow file; every problem is listed with its line"
    )
    validate.add_argument("file", help="a *.workflow.yaml or *.workflow.json file")
    run = commands.add_parser(
        "run",
        help="run a workflow to its end (exit code 0 if it completed); progress on stderr; "
        "on the server with --url",
    )
    run.add_argument("file", help="a *.workflow.yaml or *.workflow.json file")
    run.add_argument("--input", default="null", help="the workflow's input: JSON or @file.json")
    executions = commands.add_parser(
        "executions", help="runs recorded in the journal", description="Runs in the journal."
    )
    steps = executions.add_subparsers(dest="action", required=True, metavar="ACTION")
    listed = steps.add_parser("list", help="recent runs")
    listed.add_argument("--status", choices=["running", "completed", "failed", "cancelled"])
    listed.add_argument("--limit", type=int, default=20)
    for name, text in (
        ("show", "a run's state and journal"),
        ("resume", "resume an interrupted run and wait for it"),
        ("cancel", "cancel a run"),
    ):
        steps.add_parser(name, help=text).add_argument("id")

    lab = commands.add_parser(
        "lab",
        help="start JupyterLab with Nebula",
        description="Start JupyterLab with Nebula; other arguments go to `jupyter lab`.",
    )
    lab.add_argument("lab_args", nargs=argparse.REMAINDER)
    return parser


def _run_resources(args: argparse.Namespace) -> Any:
    with _store(args) as store:
        star = args.star
        if args.action == "get":
            return store.get(
                args.type,
                args.id,
                star=star,
                as_of=parse_instant(args.as_of, "--as-of") if args.as_of else None,
            )
        if args.action == "put":
            value = _json_argument(args.value, "The value")
            etag: ETagPrecondition = MUST_NOT_EXIST if args.if_absent else args.if_match
            return store.put(args.type, args.id, value, etag=etag, star=star)
        if args.action == "delete":
            return store.delete(args.type, args.id, etag=args.if_match, star=star)
        if args.action == "history":
            return store.history(args.type, args.id, star=star)
        if args.action == "list":
            return store.list(args.type, limit=args.limit, star=star)
        query = _json_argument(args.query, "The query")
        return store.lookback.find(query, star=star).to_dict()


def _run_workflows(args: argparse.Namespace) -> tuple[Any, bool]:
    from nebula_kernel.cli._workflows import run_workflow_command, validate_file

    if args.command == "validate" and not args.url:
        return validate_file(args.file, None), True  # no store needed, none created
    workflow_input = _json_argument(args.input, "--input") if args.command == "run" else None
    with _store(args) as store:
        if args.command == "validate":
            return validate_file(args.file, store), True
        return run_workflow_command(args, store, workflow_input)


def _store(args: argparse.Namespace) -> Resources:
    """The server's store with ``--url``, else the embedded one on ``--db``."""
    from nebula_kernel.client import connect

    return connect(args.url, args.token, path=None if args.url else _embedded_path(args))


def _embedded_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else Path(".nebula") / "nebula.duckdb"


def _lab(lab_args: list[str]) -> int:
    try:
        from jupyterlab.labapp import LabApp
    except ImportError:
        print(
            "nebula: JupyterLab is not installed; pip install 'nebula-jupyter[lab]'.",
            file=sys.stderr,
        )
        return 1
    if os.geteuid() == 0 and "--allow-root" not in lab_args:
        lab_args = [*lab_args, "--allow-root"]  # containers often run as root
    LabApp.launch_instance(argv=lab_args)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "lab":
        return _lab(args.lab_args)
    try:
        if args.command == "resources":
            emit(_run_resources(args), as_json=args.json)
            return 0
        output, succeeded = _run_workflows(args)
        emit(output, as_json=args.json)
        return 0 if succeeded else 1
    except NebulaError as error:
        if args.json:
            print(json.dumps({"error": error.to_dict()}), file=sys.stderr)
        else:
            print(f"nebula: {error.message}", file=sys.stderr)
        return 1
