"""Outbound HTTP(S) through the wasmbox host.

A guest has no sockets: the host performs each request for it (checking
the URL against the run's network.allow rules) through the wasmbox_http
import module, docs/network.md. This module is the thin Python layer over
the built-in _wasmbox_http: result codes become exceptions, a response
body becomes a raw stream. http.client (and so urllib.request) use it
through wasmbox._http_client; call it directly only for something those
cannot express.
"""
import io

import _wasmbox_http

# The ABI's result codes (docs/network.md), by number.
CODES = {
    0: "OK", 1: "DENIED", 2: "LIMIT", 3: "TIMEOUT", 4: "TOO_LARGE",
    5: "CONNECT", 6: "TLS", 7: "PROTOCOL", 8: "INVAL", 9: "BADF",
    10: "TOOSMALL", 11: "FAULT",
}


class NetworkError(OSError):
    """A request the host refused or could not complete.

    str(error) is the host's one-line message (its last_error), e.g.
    "network: 10.0.0.7 refused for api.example.com: private address
    (no rule names it)"; .code is the ABI's name for it ("DENIED", ...).
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = CODES.get(code, str(code))
        self.message = message


class NetworkTimeout(NetworkError, TimeoutError):
    """network.timeout passed before the response (code TIMEOUT)."""


class NetworkConnectError(NetworkError, ConnectionError):
    """Name not found, connection refused or reset (code CONNECT)."""


def error(code):
    """The exception for a failed call's code, with the host's message."""
    message = _wasmbox_http.last_error() or "network: request failed (%s)" % (
        CODES.get(code, code),)
    kind = {3: NetworkTimeout, 5: NetworkConnectError}.get(code, NetworkError)
    return kind(code, message)


def _check(code):
    if code:
        raise error(code)


def start(method, url, headers=b"", body=b""):
    """Send a request; return (handle, status, header_lines).

    method and url are str or bytes; headers are "Name: value" lines
    separated by "\\n" (bytes); body is bytes. The host follows redirects
    itself, so status and headers are the final response's. The caller
    owns the handle: read it with Body, which closes it.
    """
    if isinstance(method, str):
        method = method.encode("ascii")
    if isinstance(url, str):
        url = url.encode("utf-8")
    code, handle = _wasmbox_http.request(method, url, headers, body or b"")
    _check(code)
    code, status, lines = _wasmbox_http.response(handle)
    if code:
        err = error(code)
        _wasmbox_http.close(handle)
        raise err
    return handle, status, lines


class Body(io.RawIOBase):
    """A response as a raw stream: first `head` (bytes the caller puts in
    front, such as a status line), then the body as the host delivers it.
    Closing it frees the host's handle (an unread rest is dropped)."""

    def __init__(self, handle, head=b""):
        super().__init__()
        self._handle = handle
        self._head = memoryview(bytes(head))

    def readable(self):
        return True

    def readinto(self, buf):
        if self._handle is None:
            raise ValueError("read of closed response")
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        code, n = _wasmbox_http.readinto(self._handle, buf)
        _check(code)
        return n

    def close(self):
        if self._handle is not None:
            _wasmbox_http.close(self._handle)
            self._handle = None
        super().close()
