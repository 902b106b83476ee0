"""What the HTTP stand-ins share: reading a request's body as it came on the wire."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def request_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The body of the request `handler` is reading: chunked (as skopeo and docker send
    uploads) or of Content-Length bytes."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
