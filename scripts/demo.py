"""A short tour of Nebula's resources store on a DuckDB file (the README's main job, for now).

Creates a star, defines a type, writes in a transaction, moves a task through its states,
shows a conflict, reads the past with as_of, and prints the history.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

import nebula_kernel as nk


class Task(BaseModel):
    title: str
    state: str = "Backlog"
    points: int | None = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=".nebula/demo.duckdb", help="DuckDB file to use")
    args = parser.parse_args()
    path = Path(args.db)
    path.unlink(missing_ok=True)
    star = "acme.product.roadmap"

    with nk.open_store(path) as store:
        store.create_star(star)
        store.define_type("Task", Task, star=star)
        changes: list[str] = []
        store.subscribe(
            lambda e: changes.append(
                f"#{e.seq} {getattr(e, 'op', 'resync')} {getattr(e, 'id', '')}"
            ),
            star=star,
        )

        with store.transaction(star=star) as tx:
            tx.put("Task", "docs", Task(title="Write the docs", points=3))
            tx.put("Task", "bench", Task(title="Benchmark the store", points=5))
        print(f"created {[r.id for r in tx.results]} in one transaction")

        before_work = datetime.now(UTC)
        time.sleep(0.01)
        docs = store.get("Task", "docs", star=star)
        for state in ("Ready", "In Progress", "Done"):
            docs = store.put(
                "Task", "docs", {**docs.value, "state": state}, etag=docs.etag, star=star
            )
        try:
            store.put("Task", "docs", {"title": "stale edit"}, etag=tx.results[0].etag, star=star)
        except nk.TransactionConflict as conflict:
            item = conflict.items[0]
            print(f"conflict, as expected: {item.id} is at eTag {item.current_etag}")

        then = store.get("Task", "docs", as_of=before_work, star=star)
        print(
            f"docs as of {before_work:%H:%M:%S}: {then.value['state']}; now: {docs.value['state']}"
        )
        print("history of docs:")
        for snap in store.history("Task", "docs", star=star):
            state = snap.value["state"]
            print(f"  #{snap.snapshot_number} {state:<12} changed {snap.previous_values}")
        print(f"current tasks: {[(r.id, r.value['state']) for r in store.list('Task', star=star)]}")
        time.sleep(0.05)
        print(f"change feed: {', '.join(changes)}")
    print(f"store kept in {path}")


if __name__ == "__main__":
    main()
