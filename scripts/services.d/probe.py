"""Readiness probes for scripts/services (Python standard library only).

Each probe sends one real protocol request, so "ready" means the server
answers requests, not merely that its port accepts connections.  Standard
library only, so the probes work before (or without) the project's .venv.

    probe.py kafka HOST PORT   Kafka Metadata request; needs >= 1 live broker
    probe.py mongo HOST PORT   MongoDB OP_MSG listDatabases; needs ok == 1
                               (on FerretDB this also proves the PostgreSQL
                               backend is reachable and accepts the login)
    probe.py http URL          HTTP GET; needs status 200 (moto's S3 API)

Exit status 0 when ready, 1 otherwise (with the reason on stderr).
"""

from __future__ import annotations

import socket
import struct
import sys
import urllib.request

TIMEOUT = 3.0


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by server")
        buf += chunk
    return bytes(buf)


# --------------------------------------------------------------------- Kafka


def probe_kafka(host: str, port: int) -> None:
    # Metadata v4 (non-flexible encoding): Kafka 4.x dropped v0-v3 (KIP-896)
    # but still serves v4, which keeps this encoder tiny.
    api_key, api_version, correlation_id = 3, 4, 7
    client_id = b"spotlight-services-probe"
    header = (
        struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id))
        + client_id
    )
    body = struct.pack(
        ">ib", -1, 0
    )  # topics=null (all topics), allow_auto_topic_creation=false
    request = header + body
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        data = _recv_exact(sock, size)
    (got_id, _throttle, n_brokers) = struct.unpack_from(">iii", data, 0)
    if got_id != correlation_id:
        raise RuntimeError(f"unexpected correlation id {got_id}")
    if n_brokers < 1:
        raise RuntimeError("metadata lists no live broker yet")


# ------------------------------------------------------------- MongoDB (wire)


def _bson_cstring(name: str) -> bytes:
    return name.encode() + b"\x00"


def _bson_encode(doc: dict) -> bytes:
    out = bytearray()
    for key, value in doc.items():
        if isinstance(value, bool):
            out += b"\x08" + _bson_cstring(key) + (b"\x01" if value else b"\x00")
        elif isinstance(value, int):
            out += b"\x10" + _bson_cstring(key) + struct.pack("<i", value)
        elif isinstance(value, str):
            raw = value.encode() + b"\x00"
            out += b"\x02" + _bson_cstring(key) + struct.pack("<i", len(raw)) + raw
        else:  # pragma: no cover - only the types above are used here
            raise TypeError(type(value))
    return struct.pack("<i", len(out) + 5) + bytes(out) + b"\x00"


# Sizes of the fixed-width BSON element types that may precede "ok".
_FIXED = {
    0x01: 8,
    0x07: 12,
    0x08: 1,
    0x09: 8,
    0x0A: 0,
    0x10: 4,
    0x11: 8,
    0x12: 8,
    0x13: 16,
}


def _bson_top_level(doc: bytes) -> dict:
    """Decode only scalar top-level fields we care about (ok, errmsg)."""
    result: dict = {}
    pos, end = 4, struct.unpack_from("<i", doc, 0)[0] - 1
    while pos < end:
        etype = doc[pos]
        name_end = doc.index(b"\x00", pos + 1)
        name = doc[pos + 1 : name_end].decode()
        pos = name_end + 1
        if etype == 0x01:
            result[name] = struct.unpack_from("<d", doc, pos)[0]
        elif etype == 0x10:
            result[name] = struct.unpack_from("<i", doc, pos)[0]
        elif etype == 0x12:
            result[name] = struct.unpack_from("<q", doc, pos)[0]
        elif etype == 0x08:
            result[name] = doc[pos] == 1
        if etype in _FIXED:
            pos += _FIXED[etype]
        elif etype in (0x02, 0x0D, 0x0E):  # string, js code, symbol
            (length,) = struct.unpack_from("<i", doc, pos)
            result[name] = doc[pos + 4 : pos + 3 + length].decode(errors="replace")
            pos += 4 + length
        elif etype in (0x03, 0x04):  # embedded document / array
            pos += struct.unpack_from("<i", doc, pos)[0]
        elif etype == 0x05:  # binary
            pos += 5 + struct.unpack_from("<i", doc, pos)[0]
        else:
            break  # unknown type: stop; fields seen so far are still valid
    return result


def probe_mongo(host: str, port: int) -> None:
    # listDatabases rather than ping: FerretDB answers ping without touching
    # PostgreSQL, listDatabases makes it query its backend.
    command = _bson_encode({"listDatabases": 1, "nameOnly": True, "$db": "admin"})
    body = struct.pack("<I", 0) + b"\x00" + command  # flagBits, section kind 0
    header = struct.pack("<iiii", 16 + len(body), 1, 0, 2013)  # OP_MSG
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendall(header + body)
        (length, _req, _resp_to, opcode) = struct.unpack("<iiii", _recv_exact(sock, 16))
        payload = _recv_exact(sock, length - 16)
    if opcode != 2013 or payload[4] != 0:
        raise RuntimeError(f"unexpected reply (opcode {opcode})")
    reply = _bson_top_level(payload[5:])
    if reply.get("ok") != 1:
        raise RuntimeError(f"command failed: {reply.get('errmsg', reply)}")


# ---------------------------------------------------------------------- HTTP


def probe_http(url: str) -> None:
    # Bypass any *_proxy environment variables: the target is always loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=TIMEOUT) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 3 and argv[0] == "kafka":
            probe_kafka(argv[1], int(argv[2]))
        elif len(argv) == 3 and argv[0] == "mongo":
            probe_mongo(argv[1], int(argv[2]))
        elif len(argv) == 2 and argv[0] == "http":
            probe_http(argv[1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        print(f"not ready: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
