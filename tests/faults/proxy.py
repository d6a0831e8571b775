"""A TCP proxy between two nodes that can cut, stall, delay and drop their traffic.

Links are TLS, so a proxy cannot drop a frame and keep the stream: a dropped chunk breaks the
connection, exactly as a lost packet on a dying rural line ends in a reset. That is what "drop"
does here; the link layer must then reconnect and resend without losing or repeating anything.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    cut: bool = False  # refuse and close every connection
    stall: bool = False  # keep connections open but forward nothing
    delay_seconds: float = 0.0  # added to every chunk in each direction
    drop_rate: float = 0.0  # chance that a chunk is lost (which breaks its connection)
    seed: int = 7
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


class FaultyProxy:
    def __init__(self, target_host: str, target_port: int, faults: Faults | None = None) -> None:
        self.target = (target_host, target_port)
        self.faults = faults or Faults()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.dropped = 0
        self.accepted = 0
        threading.Thread(target=self._accept, name=f"proxy :{self.port}", daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.faults.cut = True
        self._close_all()

    def heal(self) -> None:
        self.faults.cut = self.faults.stall = False
        self.faults.delay_seconds = self.faults.drop_rate = 0.0

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            _close(connection)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.faults.cut:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            self.accepted += 1
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                while self.faults.stall and not self.faults.cut:
                    time.sleep(0.05)
                if self.faults.cut:
                    break
                if self.faults.delay_seconds:
                    time.sleep(self.faults.delay_seconds)
                if self.faults.drop_rate and self.faults.rng.random() < self.faults.drop_rate:
                    self.dropped += 1
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
