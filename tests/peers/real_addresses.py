"""The real services at their real names, offline: a loopback HTTPS proxy with a test CA.

The kit runs with its default endpoints (https://upload.pypi.org/legacy/, https://pypi.org/
simple/, https://api.github.com, ...) and HTTPS_PROXY pointing here. The proxy answers
`CONNECT host:443` for the hosts of its table with TLS from a certificate for that name,
signed by a CA made for the test (REQUESTS_CA_BUNDLE, SSL_CERT_FILE), and hands each request
to the loopback stand-in that plays the service, with the service's own rules in front where
the stand-in lacks them (warehouse's upload refusals and trusted-publishing views). Every
host asked for is recorded; one outside the table is refused and recorded as such.

Also here: the Actions OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN), which
returns a JWT-shaped token with the audience asked for and the job's claims.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import json
import secrets
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.peers.wire import request_body

# -- the test CA ---------------------------------------------------------------------------


class TestCA:
    """A CA made for one test session, and a certificate for each name asked for."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, root: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ec, self._serialization = x509, hashes, ec, serialization
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "releasekit test CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = root / "ca.pem"
        self.bundle.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server context presenting a certificate for `host`, signed by this CA."""
        with self._lock:
            if host not in self._contexts:
                self._contexts[host] = self._make_context(host)
            return self._contexts[host]

    def _make_context(self, host: str) -> ssl.SSLContext:
        x509, serialization = self._x509, self._serialization
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, host)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .sign(self._key, self._hashes.SHA256())
        )
        pem = self.root / f"{host}.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + cert.public_bytes(serialization.Encoding.PEM)
            + self._cert.public_bytes(serialization.Encoding.PEM)
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pem)
        return context


# -- what a service answers ----------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request as the proxy saw it, after TLS."""

    host: str
    method: str
    path: str
    headers: dict[str, str]  # for reading one; `header_lines` keeps repeated ones (Accept)
    body: bytes
    header_lines: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    header_lines: tuple[tuple[str, str], ...] = ()  # the stand-in's, repeated ones kept

    def lines(self) -> tuple[tuple[str, str], ...]:
        return self.header_lines or tuple(self.headers.items())

    @staticmethod
    def json(status: int, payload: Any) -> Answer:
        return Answer(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


# A service's own rule in front of its stand-in: an answer, or None to ask the stand-in.
Front = Callable[[Exchange], "Answer | None"]
# What the stand-in answered, as the service would answer it.
Back = Callable[[Exchange, Answer], Answer]


@dataclass(frozen=True)
class Service:
    """A real host name, the loopback stand-in playing it, and the service's own rules."""

    upstream: str  # http://127.0.0.1:PORT
    rewrite: tuple[tuple[str, str], ...] = ()  # path prefixes: the service's -> the stand-in's
    front: Front | None = None
    back: Back | None = None
    upstream_auth: str = ""  # an Authorization the stand-in takes, sent instead of the client's

    def path_for(self, path: str) -> str:
        for theirs, ours in self.rewrite:
            if path.startswith(theirs):
                return ours + path[len(theirs) :]
        return path


# -- the proxy -----------------------------------------------------------------------------


class RealAddresses:
    """The proxy: `services` by host name; `seen` every (host, method, path) asked for,
    `refused` every host outside the table (with its port)."""

    def __init__(self, root: Path, services: dict[str, Service]) -> None:
        self.ca = TestCA(root / "ca")
        self.services = services
        self.seen: list[tuple[str, str, str]] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Tunnel(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._tunnel(self)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Tunnel)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def env(self) -> dict[str, str]:
        """What a process needs to reach the real names through here, and only through here."""
        return {
            "HTTPS_PROXY": self.url,
            "https_proxy": self.url,
            "HTTP_PROXY": self.url,  # a plain-HTTP request to a real name is seen and refused
            "http_proxy": self.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca.bundle),
            "SSL_CERT_FILE": str(self.ca.bundle),
        }

    def hosts(self) -> list[str]:
        """The hosts asked for, in the order first asked."""
        return list(dict.fromkeys(host for host, _, _ in self.seen))

    def _record_refusal(self, target: str) -> None:
        with self._lock:
            self.refused.append(target)

    def _tunnel(self, stream: socketserver.StreamRequestHandler) -> None:
        line = stream.rfile.readline(65537).decode("latin-1").split()
        while stream.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass
        if len(line) != 3:
            return
        method, target = line[0], line[1]
        host, _, port = target.rpartition(":") if method == "CONNECT" else ("", "", "")
        if method != "CONNECT" or port != "443" or host not in self.services:
            self._record_refusal(target if method == "CONNECT" else urlsplit(target).netloc)
            stream.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        stream.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        stream.wfile.flush()
        try:
            tls = self.ca.context_for(host).wrap_socket(stream.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client did not trust the test CA: it asked, and is recorded below
        handler = type("Forward", (_Forward,), {"proxy": self, "vhost": host})
        handler(tls, stream.client_address, self._server)

    def answer(self, exchange: Exchange) -> Answer:
        with self._lock:
            self.seen.append((exchange.host, exchange.method, exchange.path))
        service = self.services[exchange.host]
        if service.front is not None:
            early = service.front(exchange)
            if early is not None:
                return early
        upstream = urlsplit(service.upstream)
        connection = http.client.HTTPConnection(str(upstream.hostname), upstream.port, timeout=60)
        hop = {"connection", "transfer-encoding", "content-length", "proxy-connection"}
        try:
            connection.putrequest(
                exchange.method,
                service.path_for(exchange.path),
                skip_host=True,
                skip_accept_encoding=True,
            )
            replaced = hop | ({"authorization"} if service.upstream_auth else set())
            for name, value in exchange.header_lines or tuple(exchange.headers.items()):
                if name.lower() not in replaced:
                    connection.putheader(name, value)
            if service.upstream_auth:
                connection.putheader("Authorization", service.upstream_auth)
            connection.putheader("X-Forwarded-Proto", "https")
            connection.putheader("Content-Length", str(len(exchange.body)))
            connection.endheaders(exchange.body)
            reply = connection.getresponse()
            lines = tuple(reply.getheaders())
            answer = Answer(reply.status, reply.read(), dict(lines), lines)
        finally:
            connection.close()
        return service.back(exchange, answer) if service.back else answer


class _Forward(BaseHTTPRequestHandler):
    """HTTP/1.1 over the tunnel's TLS: each request handed to the proxy's table."""

    protocol_version = "HTTP/1.1"
    proxy: RealAddresses
    vhost: str

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `seen`."""

    def _body(self) -> bytes:
        return request_body(self)

    def _handle(self) -> None:
        exchange = Exchange(
            self.vhost,
            self.command,
            self.path,
            dict(self.headers.items()),
            self._body(),
            tuple(self.headers.items()),
        )
        answer = self.proxy.answer(exchange)
        self.send_response(answer.status)
        for name, value in answer.lines():
            if name.lower() not in {
                "connection",
                "transfer-encoding",
                "content-length",
                "date",
                "server",
            }:
                self.send_header(name, value)
        body = b"" if self.command == "HEAD" else answer.body
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle  # noqa: N815


# -- PyPI (warehouse) in front of pypiserver -------------------------------------------------


@dataclass
class TrustedPublisher:
    """A trusted publisher as configured on PyPI, and the upload token its exchange mints."""

    repository: str
    workflow: str  # the workflow file name, e.g. ci.yml
    environment: str
    minted: str = field(default_factory=lambda: f"pypi-minted-{secrets.token_hex(12)}")
    exchanges: list[dict[str, Any]] = field(default_factory=list)


def _claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def _mint_error(code: str, description: str) -> Answer:
    # warehouse oidc/views.py: 422 {"message": "Token request failed", "errors": [...]}
    return Answer.json(
        422,
        {"message": "Token request failed", "errors": [{"code": code, "description": description}]},
    )


def warehouse_front(publisher: TrustedPublisher) -> Front:
    """What warehouse answers itself: the OIDC audience, the token exchange, and the upload
    refusals pypiserver does not make (attestations without trusted publishing)."""

    def front(exchange: Exchange) -> Answer | None:
        if exchange.method == "GET" and exchange.path == "/_/oidc/audience":
            return Answer.json(200, {"audience": "pypi"})
        if exchange.method == "POST" and exchange.path == "/_/oidc/mint-token":
            return mint(exchange)
        if exchange.method == "POST" and exchange.path.startswith("/legacy/"):
            basic = exchange.headers.get("Authorization", "").removeprefix("Basic ")
            password = base64.b64decode(basic).decode().partition(":")[2] if basic else ""
            if b'name="attestations"' in exchange.body and password != publisher.minted:
                # warehouse forklift/legacy.py, attestations/services.py
                return Answer(
                    400,
                    b"Invalid attestations supplied during upload: Attestations are only "
                    b"supported when using Trusted Publishing",
                    {"Content-Type": "text/plain"},
                )
        return None

    def mint(exchange: Exchange) -> Answer:
        try:
            token = json.loads(exchange.body).get("token", "")
        except (ValueError, AttributeError):
            return _mint_error("invalid-payload", "malformed JSON")
        claims = _claims(str(token))
        if claims is None:
            return _mint_error("invalid-token", "malformed or invalid token")
        publisher.exchanges.append(claims)
        if claims.get("aud") != "pypi":
            return _mint_error("invalid-token", "token has an invalid audience")
        workflow = str(claims.get("job_workflow_ref", "")).partition("@")[0].rsplit("/", 1)[-1]
        if (
            claims.get("repository") != publisher.repository
            or workflow != publisher.workflow
            or claims.get("environment") != publisher.environment
        ):
            return _mint_error(
                "invalid-publisher",
                "valid token, but no corresponding publisher (Publisher with matching claims "
                "was not found)",
            )
        return Answer.json(200, {"success": True, "token": publisher.minted, "expires": 0})

    return front


def warehouse_back(exchange: Exchange, answer: Answer) -> Answer:
    """pypiserver's answers as PyPI gives them: 404 for a project it lacks (pypiserver sends
    it to its fallback index), 400 "File already exists" for a re-upload (pypiserver: 409)."""
    if exchange.path.startswith("/simple/") and answer.status in (302, 303):
        return Answer(404, b"Not Found", {"Content-Type": "text/plain"})
    if exchange.path.startswith("/legacy/") and answer.status == 409:
        return Answer(400, b"File already exists. See https://pypi.org/help/#file-name-reuse")
    return answer


def pypi_services(pypi_url: str, publisher: TrustedPublisher) -> dict[str, Service]:
    return {
        "upload.pypi.org": Service(
            pypi_url, (("/legacy/", "/"),), warehouse_front(publisher), warehouse_back
        ),
        "pypi.org": Service(pypi_url, (), None, warehouse_back),
    }


# -- the Actions OIDC token service ----------------------------------------------------------


@dataclass(frozen=True)
class ActionsIdentity:
    """A job's identity: the claims GitHub puts in its OIDC token."""

    repository: str
    workflow: str
    environment: str
    ref: str = "refs/tags/v1.0.0"

    def claims(self, audience: str) -> dict[str, Any]:
        owner = self.repository.split("/", 1)[0]
        return {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": audience,
            "sub": f"repo:{self.repository}:environment:{self.environment}",
            "repository": self.repository,
            "repository_owner": owner,
            "job_workflow_ref": f"{self.repository}/.github/workflows/{self.workflow}@{self.ref}",
            "workflow_ref": f"{self.repository}/.github/workflows/{self.workflow}@{self.ref}",
            "environment": self.environment,
            "ref": self.ref,
        }


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{part({'sig': 'test'})}"


@contextlib.contextmanager
def actions_token_service(identity: ActionsIdentity) -> Iterator[dict[str, str]]:
    """The job's token service; yields ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN."""
    request_token = f"actions-request-{secrets.token_hex(8)}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            if self.headers.get("Authorization", "").lower() != f"bearer {request_token}":
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            audience = query.get("audience", [""])[0]
            body = json.dumps({"value": _jwt(identity.claims(audience))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
        }
    finally:
        server.shutdown()
        server.server_close()


# -- a registry's token flow (Docker Hub's, GHCR's) in front of a Basic-auth registry ----------


@dataclass
class TokenFlow:
    """The distribution token flow as Docker Hub runs it: the registry answers 401 with
    `WWW-Authenticate: Bearer realm="https://REALM_HOST/token",service=...,scope=...`; the
    client asks the realm for a token with its Basic credentials; then sends it as Bearer
    (docs.docker.com/registry/spec/auth/token). Behind it, the loopback registry takes Basic."""

    realm: str  # https://auth.docker.io/token, https://ghcr.io/token
    service: str  # registry.docker.io, ghcr.io
    username: str
    password: str
    token: str = field(default_factory=lambda: f"tok-{secrets.token_hex(12)}")
    issued: int = 0

    def basic(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def realm_front(self, exchange: Exchange) -> Answer | None:
        """The token service: a token for the right Basic credentials, 401 otherwise."""
        if urlsplit(exchange.path).path != urlsplit(self.realm).path:
            return None
        if exchange.headers.get("Authorization") != self.basic():
            return Answer.json(401, {"details": "incorrect username or password"})
        self.issued += 1
        return Answer.json(200, {"token": self.token, "access_token": self.token})

    def registry_front(self, exchange: Exchange) -> Answer | None:
        """The registry: nothing without the Bearer token but the challenge."""
        if exchange.host == urlsplit(self.realm).hostname:  # GHCR: the realm is its own host
            early = self.realm_front(exchange)
            if early is not None:
                return early
        if exchange.headers.get("Authorization") == f"Bearer {self.token}":
            return None
        challenge = f'Bearer realm="{self.realm}",service="{self.service}"'
        return Answer(
            401,
            b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
            {"Content-Type": "application/json", "WWW-Authenticate": challenge},
        )

    def realm_only(self, exchange: Exchange) -> Answer:
        """A host that is the token service alone (auth.docker.io)."""
        return self.realm_front(exchange) or Answer(404, b"404 page not found")

    def services(self, registry_host: str, upstream: str) -> dict[str, Service]:
        """The registry's name and, when it is another host, its token service's."""
        table = {
            registry_host: Service(upstream, front=self.registry_front, upstream_auth=self.basic())
        }
        realm_host = str(urlsplit(self.realm).hostname)
        if realm_host != registry_host:
            table[realm_host] = Service(upstream, front=self.realm_only)
        return table
