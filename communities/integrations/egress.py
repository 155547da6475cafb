"""Outgoing webhook requests, safe against server-side request forgery (SSRF).

* Only ``http``/``https`` URLs without credentials.
* The host name is resolved once; every address it resolves to must be public (not private,
  loopback, link-local, multicast, reserved, unspecified, shared/CGNAT, or a cloud metadata
  address). An operator may allow specific networks with ``HEARTH_WEBHOOK_ALLOWED_NETWORKS``
  (for example a receiver on the LAN); metadata addresses stay refused even then.
* The connection goes to the address that was checked (no second DNS lookup that could answer
  differently: no time-of-check/time-of-use gap); TLS still verifies the certificate against the
  host name (SNI).
* Redirects are never followed (``http.client`` does not follow them; a 3xx counts as a failure).
* Short timeouts and a cap on how much of the response is read.

Signatures: ``Hearth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "Hearth-Webhooks/1"
SIGNATURE_HEADER = "Hearth-Signature"
MAX_URL_LENGTH = 500

# Cloud instance metadata endpoints: never reachable, whatever networks the operator allows.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(Exception):
    """The URL may not be called (message is shown to the owner and stored in the log)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to


@dataclass(frozen=True)
class Response:
    status: int
    body_excerpt: str
    duration_ms: int


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the webhook's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return list(getattr(settings, "HEARTH_WEBHOOK_ALLOWED_NETWORKS", []) or [])


def address_problem(address: IPAddress) -> str:
    """Why ``address`` may not be called ("" when it may)."""
    # IPv4 written inside IPv6 (::ffff:10.0.0.1, 6to4, Teredo) is judged as the IPv4 it carries.
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is not None:
            problem = address_problem(inner)
            if problem:
                return problem
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(address in net for net in _allowed_networks()):
        return ""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private network address"
    if not address.is_global:
        return "a non-public address"
    return ""


def parse_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path (with query) of a webhook URL, or UnsafeURL."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"Keep the URL under {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("Leave user names and passwords out of the URL; check the signature instead.")
    host = parts.hostname or ""
    if not host:
        raise UnsafeURL("The URL needs a host name.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UnsafeURL("The URL can't contain spaces or control characters.")
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (one DNS lookup), or UnsafeURL."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError, ValueError):  # ValueError: e.g. a NUL byte
        raise UnsafeURL(f"The host name {host} could not be resolved.") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"); the address itself is what is judged.
        addr = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise UnsafeURL(f"The host name {host} could not be resolved.")
    return addresses


def check_url(url: str) -> Target:
    """Parse, resolve and check a URL; the returned target pins the address to connect to.

    Every resolved address must be allowed (a name that also resolves to a private address is
    refused, so a DNS answer can't smuggle one in on a later attempt)."""
    scheme, host, port, path = parse_url(url)
    addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(address)
        if problem:
            where = f"{host} is" if host == str(address) else f"{host} resolves to {address},"
            raise UnsafeURL(f"{where} {problem}; Hearth only calls public addresses.")
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever a new DNS lookup would say."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is verified against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body`` to the pinned target. Network errors raise OSError (or http.client's)."""
    timeout = float(getattr(settings, "HEARTH_WEBHOOK_TIMEOUT", 5))
    max_bytes = int(getattr(settings, "HEARTH_WEBHOOK_MAX_RESPONSE_BYTES", 16 * 1024))
    conn_cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = conn_cls(target, timeout)
    started = time.monotonic()
    try:
        all_headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }
        conn.request("POST", target.path, body=body, headers=all_headers)
        response = conn.getresponse()
        # Read at most max_bytes, and give up once the whole exchange has taken too long.
        chunks: list[bytes] = []
        received = 0
        while received < max_bytes:
            if time.monotonic() - started > timeout * 2:
                break
            chunk = response.read(min(4096, max_bytes - received))
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
        status = response.status
    finally:
        conn.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    excerpt = b"".join(chunks)[:1000].decode("utf-8", errors="replace")
    return Response(status=status, body_excerpt=excerpt, duration_ms=duration_ms)
