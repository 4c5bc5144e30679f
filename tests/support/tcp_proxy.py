"""A backend that goes away and comes back: a TCP forwarder on a local port.

Point a client at ``proxy.url(url)`` instead of the server's own URL. ``cut()``
closes the port and every connection through it, as a server that stopped would
(connections refused from then on); ``restore()`` listens on the same port again.
The real server is never touched, so tests sharing it are not disturbed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._accepting: threading.Thread | None = None

    @classmethod
    @contextmanager
    def to(cls, url: str) -> Iterator[TcpProxy]:
        """A running proxy to the server of ``url`` (``host:port`` also works)."""
        parsed = urlsplit(url if "://" in url else f"tcp://{url}")
        proxy = cls(parsed.hostname or "127.0.0.1", parsed.port or 0)
        proxy.restore()
        try:
            yield proxy
        finally:
            proxy.cut()

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        parsed = urlsplit(url)
        credentials, _, _ = parsed.netloc.rpartition("@")
        netloc = f"127.0.0.1:{self.port}"
        return urlunsplit(
            parsed._replace(netloc=f"{credentials}@{netloc}" if credentials else netloc)
        )

    def restore(self) -> None:
        """Listen (again) on the proxy's port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._listener = listener
        self._accepting = threading.Thread(
            target=self._accept, args=(listener, self._stopping), daemon=True
        )
        self._accepting.start()

    def cut(self) -> None:
        """Close the port and every connection through it."""
        self._stopping.set()
        if self._accepting is not None:
            self._accepting.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for each in sockets:
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()

    def _accept(self, listener: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
