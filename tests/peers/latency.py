"""A loopback TCP proxy in front of a real peer (pypiserver, a registry) that holds chosen
requests: a slow index read, a slow upload, a slow registry. Bytes pass through untouched; a
request whose first line matches a hold waits before it goes on; let_go() drops what is
still held, so a request whose sender gave up never lands late."""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field

from tests.peers.processes import free_port

_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r?\n")


@dataclass
class Hold:
    """Requests `method` whose path holds `path_part` wait `seconds` (the first `times` only,
    0: every one); `reached` is set when one arrives."""

    method: str
    path_part: str
    seconds: float
    times: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    seen: int = 0

    def matches(self, method: bytes, path: bytes) -> bool:
        wanted = method.decode() == self.method and self.path_part in path.decode()
        return wanted and (self.times == 0 or self.seen < self.times)


class SlowProxy:
    """127.0.0.1:port forwards to 127.0.0.1:upstream, holding what `holds` name."""

    def __init__(self, upstream: int, holds: list[Hold]) -> None:
        self.upstream, self.holds = upstream, holds
        self.port = free_port()
        self.released = threading.Event()
        self.dropping = False
        proxy = self

        class Pipe(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._pipe(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Pipe)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def let_go(self) -> None:
        """End every hold: what is held now is dropped, what comes later passes."""
        self.dropping = True
        self.released.set()

    def close(self) -> None:
        self.let_go()
        self.server.shutdown()
        self.server.server_close()

    def _pipe(self, client: socket.socket) -> None:
        with socket.create_connection(("127.0.0.1", self.upstream)) as server:
            back = threading.Thread(target=_copy, args=(server, client), daemon=True)
            back.start()
            try:
                while chunk := _recv(client):
                    if not self._hold(chunk):
                        return
                    server.sendall(chunk)
            finally:
                # The client is done or dropped: the upstream connection ends with it, never
                # half-open (a single-threaded peer such as pypiserver would serve nobody else
                # meanwhile). shutdown, not close alone: close does not end the recv that the
                # other thread has in progress on it, so no FIN would reach the peer.
                with contextlib.suppress(OSError):
                    server.shutdown(socket.SHUT_RDWR)

    def _hold(self, chunk: bytes) -> bool:
        """Hold `chunk` if it starts a request a hold names; False: drop the connection."""
        line = _REQUEST_LINE.match(chunk)
        for hold in self.holds if line else []:
            if hold.matches(line[1], line[2]):  # type: ignore[index]
                hold.seen += 1
                hold.reached.set()
                self.released.wait(hold.seconds)
                return not self.dropping
        return True


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _copy(source: socket.socket, dest: socket.socket) -> None:
    while chunk := _recv(source):
        try:
            dest.sendall(chunk)
        except OSError:
            return
    with contextlib.suppress(OSError):
        dest.shutdown(socket.SHUT_WR)
