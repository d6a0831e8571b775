"""The front desk's HTTP(S) server: uvicorn in a thread of the node process, started and stopped
with the node.

Loopback addresses are served over plain HTTP (the desk computer itself); any other address over
HTTPS with the node's own TLS certificate and chain, so a window across the hall sees the node's
name in its certificate.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from node.trust.identity import pem_bundle
from node.web.app import create_app

if TYPE_CHECKING:
    from node.runtime.node import Node

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class WebDesk:
    def __init__(self, node: Node, listen: str, passphrase: bytes) -> None:
        self._node = node
        host, _, port = listen.rpartition(":")
        self.host = host.strip("[]") or "127.0.0.1"
        self._port = int(port)
        self.tls = not is_loopback(self.host)
        self._passphrase = passphrase
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))  # bound here, so a taken port is reported at once
        sock.listen(128)
        self.port = sock.getsockname()[1]
        options: dict[str, object] = {}
        if self.tls:
            identity = self._node.identity
            chain_file = identity.folder / "web-chain.pem"
            chain_file.write_bytes(pem_bundle([identity.tls_certificate, *identity.chain]))
            options = {
                "ssl_certfile": str(chain_file),
                "ssl_keyfile": str(Path(identity.folder) / "tls.key"),
                "ssl_keyfile_password": self._passphrase.decode("utf-8"),
            }
        config = uvicorn.Config(
            create_app(self._node, secure=self.tls),
            log_config=None,  # the node configured logging (text or JSON); uvicorn leaves it alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,  # a page in flight may finish; the node's stop does not hang
            **options,  # type: ignore[arg-type]
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"web-{self._node.here}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the front desk did not start on {self.host}:{self.port}")
            time.sleep(0.02)
        log.info("front desk of %s at %s", self._node.here, self.url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
