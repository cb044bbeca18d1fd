"""http.client's connection classes for a guest: requests go to the host.

http/client.py in the guest's image ends by calling install() (patch
scripts/guests/patches/pyimage-01-http-client.patch), so HTTPConnection
and HTTPSConnection -- and with them urllib.request's default opener,
which then also handles https -- send through wasmbox.http. Everything
else (request formatting, header checks, response parsing, HTTPError in
urllib) stays CPython's own code:

- connect() gives the connection a socket-like buffer instead of a
  socket; http.client writes the request into it as it would on a wire;
- the host is asked once the request is complete: at the end of
  request(), else at getresponse() (putrequest/endheaders/send users);
- the response's status and headers are turned back into an HTTP/1.1
  head in front of the body stream, which HTTPResponse reads as usual.

The host does TLS itself (verified against the system CA store), so an
ssl context, a timeout or a source address given to a connection does
not apply; client certificates are refused.
"""
import io

from wasmbox import http as _host


class _RequestBuffer:
    """Stands in for the socket while http.client writes a request."""

    def __init__(self):
        self.data = bytearray()

    def sendall(self, data):
        self.data += data

    def close(self):
        pass


class _ResponseSocket:
    """Stands in for the socket HTTPResponse reads: makefile() is the
    host's response stream; the stream, not this, owns the handle."""

    def __init__(self, body):
        self._body = body

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(self._body)

    def close(self):
        pass


def _dechunk(body):
    """The payload of a chunked request body (http.client wrote it)."""
    out, pos = bytearray(), 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


def _parse_request(data):
    """(method, target, [(name, value)], body) of the bytes http.client
    wrote; continuation lines of a header are joined with a space."""
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ", 2)
    headers = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
        else:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
    return method, target, headers, body


# The host frames the request itself: it sets Host from the URL, the
# length of the body it sends, and manages connections.
_HOST_FRAMED = {b"content-length", b"transfer-encoding", b"connection"}


def install(client):
    """Replace client.HTTPConnection and define client.HTTPSConnection
    (client: the http.client module, at the end of its own import)."""
    base = client.HTTPConnection

    class HTTPConnection(base):
        __doc__ = base.__doc__
        _wb_scheme = "http"

        def connect(self):
            # No socket: the request is collected, then sent by the host.
            self.sock = _RequestBuffer()

        def putrequest(self, method, url, *args, **kwargs):
            super().putrequest(method, url, *args, **kwargs)
            # each request starts a new buffer (the previous response's
            # stream belongs to that response, not to the connection)
            self.connect()

        def request(self, method, url, body=None, headers={}, *,
                    encode_chunked=False):
            super().request(method, url, body, headers,
                            encode_chunked=encode_chunked)
            self._wb_send()

        def getresponse(self):
            self._wb_send()
            return super().getresponse()

        def _wb_authority(self):
            host = self.host
            if ":" in host:
                host = "[%s]" % host
            if self.port == self.default_port:
                return host
            return "%s:%d" % (host, self.port)

        def _wb_send(self):
            """Ask the host for the request collected so far, if any."""
            if not isinstance(self.sock, _RequestBuffer) or not self.sock.data:
                return
            method, target, headers, body = _parse_request(self.sock.data)
            self.sock = None
            authority = self._wb_authority()
            if target.startswith((b"http://", b"https://")):
                url = target
            else:
                url = ("%s://%s" % (self._wb_scheme, authority)).encode(
                    "idna") + target
            chunked = False
            lines = []
            for name, value in headers:
                low = name.lower()
                if low == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                if low in _HOST_FRAMED:
                    continue
                # the Host header http.client added; another one is the
                # host's to refuse (it always uses the URL's)
                if low == b"host" and value.lower() in (
                        authority.lower().encode("idna"),
                        self.host.lower().encode("idna")):
                    continue
                lines.append(name + b": " + value)
            if chunked:
                body = _dechunk(body)
            handle, status, head_lines = _host.start(
                method, url, b"\n".join(lines), body)
            self.sock = _ResponseSocket(
                _host.Body(handle, _status_head(client, status, head_lines)))

    class HTTPSConnection(HTTPConnection):
        """HTTPS through the host, which verifies the server's
        certificate against the system CA store (context is ignored)."""
        default_port = client.HTTPS_PORT
        _wb_scheme = "https"

        def __init__(self, host, port=None, key_file=None, cert_file=None,
                     timeout=client.socket._GLOBAL_DEFAULT_TIMEOUT,
                     source_address=None, *, context=None,
                     check_hostname=None, blocksize=8192):
            if key_file is not None or cert_file is not None:
                raise ValueError("wasmbox: client certificates are not "
                                 "supported (the host makes the connection)")
            super().__init__(host, port, timeout, source_address,
                             blocksize=blocksize)
            self._context = context

    HTTPConnection.__name__ = HTTPConnection.__qualname__ = "HTTPConnection"
    HTTPSConnection.__name__ = HTTPSConnection.__qualname__ = "HTTPSConnection"
    HTTPConnection.__module__ = HTTPSConnection.__module__ = client.__name__
    client.HTTPConnection = HTTPConnection
    client.HTTPSConnection = HTTPSConnection
    if "HTTPSConnection" not in client.__all__:
        client.__all__.append("HTTPSConnection")


def _status_head(client, status, lines):
    """An HTTP/1.1 head for HTTPResponse to parse: the host has already
    taken the body out of its transfer coding, so that header goes."""
    reason = client.responses.get(status, "")
    out = [("HTTP/1.1 %03d %s" % (status, reason)).encode("ascii")]
    for line in lines.split(b"\n"):
        line = line.rstrip(b"\r")
        if line and not line.lower().startswith(b"transfer-encoding:"):
            out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n"
