"""The floor under the gateway: plain tornado broadcasting a pre-encoded message, no Nebula.

Run as ``python -m benchmarks._tornado_floor <port>``. ``/live`` is a WebSocket that answers a
subscribe with a result (as the gateway does); each ``POST /publish`` encodes one event frame,
shaped like the gateway's and stamped with the publish instant, and writes it to every socket
with tornado's ``write_message`` (what a plain tornado broadcaster does). It shares the
gateway's subscriber instrument, so the two are measured the same way.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from datetime import UTC, datetime

import tornado.web
import tornado.websocket

_sockets: set[Live] = set()
_seq = 0


class Live(tornado.websocket.WebSocketHandler):
    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return subprotocols[0] if subprotocols else None

    def open(self, *args: str, **kwargs: str) -> None:
        _sockets.add(self)

    def on_message(self, message: str | bytes) -> None:
        request = json.loads(message)
        self.write_message(json.dumps({"type": "result", "id": request["id"], "value": {}}))

    def on_close(self) -> None:
        _sockets.discard(self)


class Publish(tornado.web.RequestHandler):
    def post(self) -> None:
        global _seq
        _seq += 1
        at = datetime.now(UTC).isoformat()
        data = (
            '{"op":"put","type":"Tick","at":{"$t":"datetime","v":"'
            + at
            + '"},"resource":'
            + self.request.body.decode()
            + "}"
        )
        frame = '{"type":"event","sub":"s","seq":' + str(_seq) + ',"data":' + data + "}"
        for socket in list(_sockets):
            socket.write_message(frame)
        self.write("{}")


async def main(port: int) -> None:
    app = tornado.web.Application([("/live", Live), ("/publish", Publish)])
    app.listen(port, address="127.0.0.1")
    gc.collect()
    gc.freeze()  # as the Nebula server does after start-up
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
