"""Which webhook targets the emulator may call: a URL is judged by the origin the HTTP client would connect to.

The emulator fetches `notice_url`s and webhook URLs from inside the server and shows their answers, so
an unchecked URL would let anyone read internal services through it. A target is allowed only when its
origin is the emulator's own (the request that queued the webhook reached it at that origin: with the
emulator mounted in the site, the shop's origin), the shop's (EMULATOR_SHOP_URL, when the emulator runs on
its own), or is listed in EMULATOR_WEBHOOK_ALLOWED_ORIGINS
(comma-separated origins; `*` allows any). Origins are compared as the client connects: scheme, the
host with every spelling of an address reduced to one (2130706433, 0x7f.1, 0177.0.0.1, [::ffff:7f00:1]
are all 127.0.0.1; `localhost.` is `localhost`), and the port (80/443 when absent); userinfo is dropped.
"""
import ipaddress
import socket

import i18n
from urllib3.util import parse_url

SETTING = "EMULATOR_WEBHOOK_ALLOWED_ORIGINS"
DEFAULT_PORTS = {"http": 80, "https": 443}


class Target:
    """Where a URL makes the client connect: scheme, canonical host, port, and the request target."""

    def __init__(self, scheme, host, port, path, host_header):
        self.scheme, self.host, self.port, self.path = scheme, host, port, path
        self.host_header = host_header     # as written in the URL (a name-based server needs it)

    @property
    def origin(self):
        return (self.scheme, self.host, self.port)

    @property
    def text(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def canonical_host(host):
    """One spelling per address: IPv4 in any form inet_aton takes (decimal, hex, octal, short), IPv6
    (IPv4-mapped ones as IPv4), names lower-cased without a trailing dot."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return str(ip)
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))  # what getaddrinfo makes of 0x7f.1, 2130706433 ...
    except OSError:
        return host


def parse(url):
    """The Target a URL connects to, or None when it is not an absolute http(s) URL the client can use."""
    if not isinstance(url, str) or any(c in url for c in "\r\n\t\x00") or len(url) > 2000:
        return None
    try:
        u = parse_url(url.strip())
    except Exception:  # urllib3 raises LocationParseError (and ValueError on odd ports)
        return None
    scheme = (u.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not u.host:
        return None
    port = u.port or DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        return None
    host_header = (f"[{u.host.strip('[]')}]" if ":" in u.host else u.host) + (f":{u.port}" if u.port else "")
    return Target(scheme, canonical_host(u.host), port, (u.path or "/") + (f"?{u.query}" if u.query else ""),
                  host_header)


def own_origin(host_url, environ):
    """The origin a request reached the emulator at, when its Host agrees with the server's own socket (the
    same port, and a loopback name or the address the server is bound to); else None. A forged Host header
    cannot make an internal service 'own'. Behind a proxy on another port, set EMULATOR_SHOP_URL."""
    t = parse(host_url)
    if t is None or str(t.port) != str(environ.get("SERVER_PORT")):
        return None
    if t.host == canonical_host(environ.get("SERVER_NAME") or "") or t.host == "localhost":
        return host_url
    try:
        return host_url if ipaddress.ip_address(t.host).is_loopback else None
    except ValueError:
        return None


def allowed_origins(setting):
    """The origins a setting lists (parsed like targets); '*' as the set {'*'}."""
    out = set()
    for item in (setting or "").split(","):
        item = item.strip()
        if item == "*":
            out.add("*")
        elif item:
            t = parse(item)
            if t is not None:
                out.add(t.origin)
    return out


def refusal(url, own_origin, setting, shop_url=""):
    """Why the emulator will not call `url` (a stored message naming the setting), or None when it may.
    Allowed: own_origin (where the emulator was reached), shop_url's origin (EMULATOR_SHOP_URL), the setting's."""
    target = parse(url)
    if target is None:
        return i18n.msg("Not sent: %(url)s is not an absolute http(s) URL.", url=str(url)[:200])
    allowed = allowed_origins(setting) | allowed_origins(shop_url)
    own = parse(own_origin) if own_origin else None
    if "*" in allowed or target.origin in allowed or (own is not None and target.origin == own.origin):
        return None
    return i18n.msg("Not sent: %(origin)s is not an allowed webhook origin. The emulator calls only its own "
                    "origin%(own)s and the origins listed in %(setting)s (comma-separated, * for any).",
                    origin=target.text, own=f" ({own.text})" if own else "", setting=SETTING)
