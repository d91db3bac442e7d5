"""A writer process for the crash tests: commits numbered transactions until it is killed.

Transaction i writes three resources ``i-a``, ``i-b``, ``i-c`` (each ``{"tx": i, ...}``), a
bulk of ``i % 5 * 40`` padding resources (so that some commits are large), and moves the
``counter`` resource to ``i`` with its eTag. After each commit returns it prints ``ACK i``.
"""

from __future__ import annotations

import sys

import nebula_kernel as nk


def main(path: str, start: int) -> None:
    with nk.open_store(path) as store:
        if "Item" not in store.types():
            store.define_type("Item", json_schema={"type": "object"})
        try:
            counter = store.get("Item", "counter")
            etag: str | nk.resources.ETagPrecondition = counter.etag
        except nk.ResourceNotFound:
            etag = nk.MUST_NOT_EXIST
        i = start
        while True:
            ops: list[nk.Put | nk.Delete] = [
                nk.Put("Item", f"{i}-{part}", {"tx": i, "part": part}) for part in "abc"
            ]
            ops += [
                nk.Put("Item", f"{i}-pad-{n}", {"tx": i, "pad": "x" * 200})
                for n in range(i % 5 * 40)
            ]
            ops.append(nk.Put("Item", "counter", {"tx": i}, etag=etag))
            results = store.commit(ops)
            etag = results[-1].etag
            print(f"ACK {i}", flush=True)
            i += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
