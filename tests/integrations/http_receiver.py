"""A real HTTP receiver for webhook tests: http.server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers from ``script`` (one entry per request, the last one
    repeats): an int status, or a callable(handler) that writes the whole response itself."""

    host: str
    port: int
    requests: list[Received] = field(default_factory=list)
    script: list[int | Callable] = field(default_factory=lambda: [200])

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def respond_with(self, *answers: int | Callable) -> None:
        self.script = list(answers)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            time.sleep(0.05)
        return self.requests


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            index = len(receiver.requests)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            answer = receiver.script[min(index, len(receiver.script) - 1)]
            if callable(answer):
                answer(self)
                return
            payload = b'{"ok": true}' if 200 <= answer < 300 else b"receiver says no"
            if answer == 204:
                payload = b""
            self.send_response(answer)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    rec = Receiver(host="127.0.0.1", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    server.daemon_threads = True
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
