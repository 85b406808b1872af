"""Requests to URLs that users give us (push endpoints) reach the internet only, never the
server's own network (SSRF): https on port 443, a host name allowed by a setting, every
address it resolves to global, and the connection made to the address that was checked."""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

PORT = 443
_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet may end up at.
_CARRY_IPV4 = tuple(
    ipaddress.ip_network(prefix)
    for prefix in (
        "::/96",  # IPv4-compatible (deprecated; ::1 and :: fall in here too)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local use
    )
)


class Refused(Exception):
    """A URL that must not be connected to; the message says why (for a field or a log)."""


@dataclass(frozen=True)
class Target:
    host: str  # as checked: IDNA (ASCII), lower case, no trailing dot
    addresses: tuple[str, ...]  # every address it resolved to, each of them public


def public(address) -> bool:
    """Whether packets to `address` go to the internet: a global unicast address, IPv4
    addresses carried inside IPv6 ones (mapped, NAT64, 6to4, Teredo) judged as themselves."""
    address = ipaddress.ip_address(address)
    if address.version == 6:
        if address.sixtofour is not None:
            address = address.sixtofour
        elif address.teredo is not None:
            address = address.teredo[1]
        elif any(address in prefix for prefix in _CARRY_IPV4):
            address = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.is_global and not address.is_multicast


def host_of(url, hosts=()) -> str:
    """The host `url` names, normalised, if the URL may be asked for at all: https, port 443,
    no user name or password, and (when `hosts` is not empty) a host it allows: a name, or
    `*.name` for any host under it. Raises Refused. Looks nothing up."""
    if not isinstance(url, str) or any(c <= " " or c in "\\\x7f" for c in url):
        raise Refused("Not a URL.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise Refused("Not https.")
    if "@" in parts.netloc:
        raise Refused("A user name or password in the URL.")
    try:
        port = parts.port
    except ValueError:
        raise Refused("Not a port.") from None
    if port not in (None, PORT):
        raise Refused(f"Not port {PORT}.")
    try:
        # IDNA also maps what the resolver would: full-width digits and dots (１２７。０。０。１).
        host = (parts.hostname or "").encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        raise Refused("Not a host name.") from None
    if not _HOST.fullmatch(host) and not _ipv6(host):
        raise Refused("Not a host name.")
    if hosts and not any(
        host.endswith(allowed[1:]) if allowed.startswith("*.") else host == allowed
        for allowed in hosts
    ):
        raise Refused("Not a known push service.")
    return host


def _ipv6(host):
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def resolve(host):
    """Every address `host` has, as the connection would find them (numeric forms such as
    2130706433, 127.1 or 0x7f000001 included). socket.gaierror if it has none."""
    found = socket.getaddrinfo(host, PORT, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return tuple(dict.fromkeys(sockaddr[0] for *_, sockaddr in found))


def check(url, hosts=()) -> Target:
    """`url`'s host and addresses, if every address is public; else Refused. A host that
    does not resolve raises socket.gaierror (perhaps a passing failure: not a refusal)."""
    return _checked(host_of(url, hosts))


def _checked(host) -> Target:
    addresses = resolve(host)
    private = [address for address in addresses if not public(address)]
    if private:
        raise Refused(f"{host} is not on the internet ({private[0]}).")
    return Target(host, addresses)


class Session(requests.Session):
    """A requests session that only reaches public https hosts (of `hosts`, if any), through
    no proxy, following no redirect, sending no .netrc credentials. Each host is looked up
    once in the session's life (one push round) and connected to at the address checked: a
    second lookup could answer otherwise (DNS rebinding)."""

    def __init__(self, hosts=()):
        super().__init__()
        self.hosts, self.targets = tuple(hosts), {}
        self.trust_env = False
        self.max_redirects = 0
        self.mount("https://", _Pinned(self))
        self.mount("http://", _Pinned(self))  # refused by the check: nothing goes in clear

    def target(self, url) -> Target:
        """check(url), from what this session found before. Refused, or
        requests.ConnectionError when the host does not resolve."""
        host = host_of(url, self.hosts)
        if host not in self.targets:
            try:
                self.targets[host] = _checked(host)
            except OSError as error:
                raise requests.ConnectionError(error) from error
        return self.targets[host]


class _Pinned(HTTPAdapter):
    """Connects to the address its session checked. TLS still names and verifies the host:
    it is the SNI, what the certificate must match, and the Host header."""

    def __init__(self, session):
        self.session = session
        super().__init__()

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        target = self.session.target(request.url)
        host_params["host"] = target.addresses[0]
        pool_kwargs["server_hostname"] = target.host
        request.headers["Host"] = target.host  # the request this pool is about to send
        return host_params, pool_kwargs
