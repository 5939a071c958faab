#!/usr/bin/env python3
"""Which differential cases tower-twilio refuses on purpose, whatever the libraries say.

twilio-python 9.13.0 and twilio-node 6.3.1 accept some requests that a signature does not
authorize: the URL the signature was made over does not denote the request the
application receives (a dot segment resolved, a backslash turned into '/', an empty ';'
dropped, query parameters truncated or re-encoded into other bytes), or the form body is
not one Twilio would send (lossy UTF-8, empty names, empty '&' segments). The crate
refuses those (issue 9; the rules are decisions 1 and 2 of the design, stated in
SECURITY.md). `refusal(case)` is an independent Python statement of those rules, written
from the decisions and not from the Rust code, so that the differential test checks the
core against it: `expected = (python or node) and refusal(case) is None` (merge.py).

URL rule: the URL the signature was made over (`signed_url`) must denote the same
request as the received public URL (`base_url + path_and_query`):
  - scheme equal ignoring ASCII case; userinfo equal; host equal ignoring ASCII case;
  - port equal, or the signed URL has none, or the received URL has none and the signed
    URL's is the scheme's default (443 for https/wss, 80 for http/ws);
  - path (an empty path is '/'): the same bytes, for a router matches the raw path
    (axum routes a raw `/café` elsewhere than `/caf%C3%A9`);
  - query (an empty query is no query): split on '&' with empty segments skipped, name
    and value on the first '=', '+' is a space, valid %XX decoded to bytes; for every
    name the same values in the same order, and the same set of names.
Body rule, for a form POST (method POST, media type application/x-www-form-urlencoded)
whose URL carries no bodySHA256 parameter (with bodySHA256 the hash covers the raw body):
no empty segment (leading, trailing or doubled '&'), no empty name after decoding, and
names and values decode ('+' to space, valid %XX to bytes) to valid UTF-8. A non-form
non-empty body needs bodySHA256, and a WebSocket handshake carries no body.

Usage: soundness.py [CASES_JSONL]   (checks itself, then counts the refusals per reason)
"""

import collections
import json
import re
import sys

FORM = "application/x-www-form-urlencoded"
DEFAULT_PORTS = {"http": "80", "ws": "80", "https": "443", "wss": "443"}

URL_NOT_ABSOLUTE = "url: not an absolute URL"
URL_SCHEME = "url: scheme"
URL_USERINFO = "url: userinfo"
URL_HOST = "url: host"
URL_PORT = "url: port"
URL_PATH = "url: path differs (dot segment, backslash or ;)"
URL_PATH_ENCODING = "url: path percent-encoded differently (routers match raw bytes)"
URL_QUERY = "url: query parameters differ"
BODY_EMPTY_SEGMENT = "body: empty segment"
BODY_EMPTY_NAME = "body: empty name"
BODY_NOT_UTF8 = "body: not UTF-8"
BODY_UNSIGNED = "body: not a form and no bodySHA256"
BODY_WEBSOCKET = "body: WebSocket handshake with a body"

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?]*)(.*)$", re.S)
_HEX = b"0123456789abcdefABCDEF"


def split_url(url):
    """(scheme, userinfo, host, port, path, query) or None. userinfo and port are None
    when absent (an empty port counts as none), query is None without a '?'."""
    m = _URL.match(url)
    if not m:
        return None
    scheme, authority, rest = m.groups()
    userinfo = None
    at = authority.rfind("@")
    if at != -1:
        userinfo, authority = authority[:at], authority[at + 1:]
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            return None
        host, after = authority[:close + 1], authority[close + 1:]
        if after and not after.startswith(":"):
            return None
        port = after[1:] if after else None
    else:
        host, sep, port = authority.partition(":")
        port = port if sep else None
    if port == "":
        port = None
    path, sep, query = rest.partition("?")
    return scheme, userinfo, host, port, path, (query if sep else None)


def percent_decode(text, plus=False):
    """Bytes of text with valid %XX decoded (invalid escapes kept), '+' as space if plus."""
    raw = text.encode("utf-8", "surrogatepass")
    out = bytearray()
    i = 0
    while i < len(raw):
        b = raw[i]
        if b == 0x25 and i + 2 < len(raw) and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(0x20 if plus and b == 0x2B else b)
        i += 1
    return bytes(out)


def query_pairs(query):
    """Decoded (name, value) byte pairs of a query or form body, empty segments skipped."""
    pairs = []
    for piece in (query or "").split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((percent_decode(name, plus=True), percent_decode(value, plus=True)))
    return pairs


def _grouped(query):
    values = {}
    for name, value in query_pairs(query):
        values.setdefault(name, []).append(value)
    return values


def _port_ok(scheme, signed_port, received_port):
    if signed_port is None:
        return True
    if received_port is None:
        return signed_port == DEFAULT_PORTS.get(scheme.lower())
    if signed_port.isdigit() and received_port.isdigit():
        return int(signed_port) == int(received_port)
    return signed_port == received_port


def url_refusal(signed_url, received_url):
    """None when signed_url denotes the same request as received_url, else the reason."""
    signed, received = split_url(signed_url), split_url(received_url)
    if signed is None or received is None:
        return URL_NOT_ABSOLUTE
    s_scheme, s_user, s_host, s_port, s_path, s_query = signed
    r_scheme, r_user, r_host, r_port, r_path, r_query = received
    if s_scheme.lower() != r_scheme.lower():
        return URL_SCHEME
    if s_user != r_user:
        return URL_USERINFO
    if s_host.lower() != r_host.lower():
        return URL_HOST
    # Defaults are taken from the received scheme (equal to the signed one by now).
    if not _port_ok(r_scheme, s_port, r_port):
        return URL_PORT
    if (s_path or "/") != (r_path or "/"):
        s_segments = [percent_decode(seg) for seg in (s_path or "/").split("/")]
        r_segments = [percent_decode(seg) for seg in (r_path or "/").split("/")]
        return URL_PATH_ENCODING if s_segments == r_segments else URL_PATH
    if _grouped(s_query) != _grouped(r_query):
        return URL_QUERY
    return None


def _header(case, name):
    for key, value in case.get("headers", {}).items():
        if key.lower() == name:
            return value
    return None


def is_form_post(case):
    media = case.get("content_type", "").split(";")[0].strip().lower()
    return case.get("method") == "POST" and media == FORM


def body_refusal(case):
    """None when the crate's body rules allow the case's body, else the reason."""
    body = case.get("body", "")
    upgrade = _header(case, "upgrade") or ""
    if body and "websocket" in upgrade.lower():
        return BODY_WEBSOCKET
    received = split_url(case["base_url"] + case["path_and_query"])
    query = received[5] if received else None
    if any(name == b"bodySHA256" for name, _ in query_pairs(query)):
        return None
    if not is_form_post(case):
        return BODY_UNSIGNED if body else None
    if not body:
        return None
    pieces = body.split("&")
    if any(not piece for piece in pieces):
        return BODY_EMPTY_SEGMENT
    pairs = [(percent_decode(n, plus=True), percent_decode(v, plus=True))
             for n, _, v in (piece.partition("=") for piece in pieces)]
    if any(not name for name, _ in pairs):
        return BODY_EMPTY_NAME
    for name, value in pairs:
        try:
            name.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            return BODY_NOT_UTF8
    return None


def refusal(case):
    """None when the crate's rules allow the case, else a short stable reason
    ("url: ..." or "body: ...")."""
    return url_refusal(case["signed_url"], case["base_url"] + case["path_and_query"]) \
        or body_refusal(case)


def _self_test():
    u = lambda signed, received: url_refusal(signed, received)
    assert u("https://h.com/voice", "https://h.com/voice") is None
    assert u("HTTPS://H.com/voice", "https://h.COM:443/voice") is None
    assert u("https://h.com:443/voice", "https://h.com/voice") is None
    assert u("https://h.com/voice", "https://h.com:8443/voice") is None
    assert u("https://h.com:8443/voice", "https://h.com/voice") == URL_PORT
    assert u("https://h.com:80/voice", "https://h.com/voice") == URL_PORT
    assert u("https://h.com:443/voice", "https://h.com:8443/voice") == URL_PORT
    assert u("https://[::1]:443/v", "https://[::1]/v") is None
    assert u("https://[::1]/v", "https://[::2]/v") == URL_HOST
    assert u("http://h.com/v", "https://h.com/v") == URL_SCHEME
    assert u("https://a@h.com/v", "https://h.com/v") == URL_USERINFO
    assert u("https://h.com", "https://h.com/") is None
    assert u("https://h.com/voice", "https://h.com/admin/../voice") == URL_PATH
    assert u("https://h.com/voice", "https://h.com/admin/%2e%2e/voice") == URL_PATH
    assert u("https://h.com/a/voice", "https://h.com/a\\b\\..\\voice") == URL_PATH
    assert u("https://h.com/voice", "https://h.com/voice;") == URL_PATH
    assert u("https://h.com/a/b", "https://h.com/a%2Fb") == URL_PATH
    assert u("https://h.com/caf%C3%A9/%7Bx%7D", "https://h.com/café/{x}") == URL_PATH_ENCODING
    assert u("https://h.com/100%", "https://h.com/100%25") == URL_PATH_ENCODING
    assert u("https://h.com/v?", "https://h.com/v") is None
    assert u("https://h.com/v?a=1&b=2", "https://h.com/v?b=2&&a=1&") is None
    assert u("https://h.com/v?q=a%20b&f=", "https://h.com/v?q=a+b&f") is None
    assert u("https://h.com/v?a=1&a=2", "https://h.com/v?a=2&a=1") == URL_QUERY
    assert u("https://h.com/v?a=1", "https://h.com/v?a=1&a=1") == URL_QUERY
    assert u("https://h.com/v?p=%2B1", "https://h.com/v?p=+1") == URL_QUERY
    assert u("https://h.com/v?x=%EF%BF%BD", "https://h.com/v?x=%FF") == URL_QUERY
    assert u("https://h.com/v?x=%25zz", "https://h.com/v?x=%zz") is None

    def b(body, content_type=FORM, pq="/v", method="POST"):
        return body_refusal({"base_url": "https://h.com", "path_and_query": pq, "method": method,
                             "content_type": content_type, "body": body, "headers": {}})
    assert b("") is None and b("a=1&b=&c") is None and b("a=%zz&p=100%") is None
    assert b("&a=1") == b("a=1&") == b("a=1&&b=2") == BODY_EMPTY_SEGMENT
    assert b("=x") == b("a=1&=") == BODY_EMPTY_NAME
    assert b("Body=%FF") == b("a=%C3") == b("%ED%A0%80=1") == BODY_NOT_UTF8
    assert b("a=%C3%A9&b=caf\u00e9") is None
    assert b("Body=%FF", "Application/X-WWW-Form-URLEncoded; charset=UTF-8") == BODY_NOT_UTF8
    assert b("=x&&", pq="/v?bodySHA256=00") is None
    assert b("{}", "application/json") == BODY_UNSIGNED
    assert b("{}", "application/json", "/v?bodySHA256=00") is None
    assert b("=x", method="GET") == BODY_UNSIGNED


def main():
    _self_test()
    if len(sys.argv) < 2:
        print("soundness.py: self-test passed", file=sys.stderr)
        return
    counts = collections.Counter()
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                counts[refusal(json.loads(line)) or "allowed"] += 1
    for why, n in sorted(counts.items()):
        print("%5d  %s" % (n, why))


if __name__ == "__main__":
    main()
