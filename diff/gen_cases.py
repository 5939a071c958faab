#!/usr/bin/env python3
"""Generate random Twilio webhook requests for the tower-twilio differential test.

Each output line is one request *as the server sees it* (base URL, method, path and
query, headers, body) plus the secrets the server is configured with, and `signed_url`,
the exact URL string its signature was computed over (tampered copies keep their base
request's). Signatures are computed here with plain hmac/hashlib over the URL Twilio
was configured with, which is sometimes exactly the public URL and sometimes a variant
(port added or removed, the WHATWG-normalized form, the legacy-querystring form) so
that every lenient URL candidate of the helper libraries gets exercised. Many requests also get tampered
copies. Nothing here decides whether a request *should* validate: the verdicts come
from twilio-python and twilio-node (verdict_python.py, verdict_node.js).

Usage: gen_cases.py [--seed N] [--count N] > cases.jsonl
The seed can also come from the environment (TWILIO_DIFF_SEED); output is a pure
function of (seed, count).
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import os
import re
import random
import sys
from urllib.parse import quote, unquote, urlparse, urlunparse

DEFAULT_SEED = 20240617
DEFAULT_COUNT = 1200

SIG = "x-twilio-signature"
SETTINGS = "x-twilio-webhooks-signature-settings"
FORM = "application/x-www-form-urlencoded"
JSON_CT = "application/json"


# --------------------------------------------------------------------------------------
# The signing rule (shared/twilio-vectors.md), with plain hmac/hashlib.
# --------------------------------------------------------------------------------------

def byte_order(s):
    """UTF-8 byte order (= code point order): the order Twilio signs in."""
    return s.encode("utf-8")


def utf16_order(s):
    """UTF-16 code unit order, what a JavaScript (or Java) sort() gives."""
    return s.encode("utf-16-be")


def signed_string(url, params, order=byte_order):
    """URL + key + value for each key in order, each key's values de-duplicated, sorted."""
    values = {}
    for key, value in params:
        values.setdefault(key, set()).add(value)
    out = [url]
    for key in sorted(values, key=order):
        for value in sorted(values[key], key=order):
            out.append(key + value)
    return "".join(out)


def sign(secret, data, algorithm="HMAC_SHA1"):
    digest = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}[algorithm]
    mac = hmac.new(secret.encode("utf-8"), data.encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def sha256_hex(body):
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# URL variants Twilio may have signed. Ports of twilio-node's helpers (removePort,
# addPort, withLegacyQuerystring) and of the parts of the WHATWG URL serializer
# (`new URL(url).toString()`) that the generated URLs can reach.
# --------------------------------------------------------------------------------------

_SPLIT = re.compile(r"^([a-z][a-z0-9+.-]*://)([^/?#]*)", re.I)


def split_url(url):
    m = _SPLIT.match(url)
    if not m:
        return None
    scheme, authority = m.group(1), m.group(2)
    userinfo_end = authority.rfind("@")
    host_port = authority[userinfo_end + 1:]
    port_start = host_port.find(":", host_port.rfind("]") + 1)
    host = host_port if port_start == -1 else host_port[:port_start]
    port = "" if port_start == -1 else host_port[port_start:]
    return scheme, authority[:userinfo_end + 1], host, port, url[m.end():]


def add_port(url):
    parts = split_url(url)
    if not parts or parts[3]:
        return url
    scheme, userinfo, host, _, rest = parts
    port = ":443" if scheme.lower() == "https://" else ":80"
    return scheme + userinfo + host + port + rest


def remove_port(url):
    parts = split_url(url)
    if not parts:
        return url
    scheme, userinfo, host, _, rest = parts
    return scheme + userinfo + host + rest


# WHATWG percent-encode sets (https://url.spec.whatwg.org/#percent-encoded-bytes);
# everything above U+007E (and DEL) is in all of them.
_C0 = {chr(c) for c in range(0x20)}
PATH_SET = _C0 | set(' "#<>?`{}')
SPECIAL_QUERY_SET = _C0 | set(" \"#<>'")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _pct_encode(text, encode_set):
    out = []
    for ch in text:
        if ord(ch) > 0x7E or ch in encode_set:
            out.append("".join("%%%02X" % b for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _is_single_dot(seg):
    return seg.lower() in (".", "%2e")


def _is_double_dot(seg):
    return seg.lower() in ("..", ".%2e", "%2e.", "%2e%2e")


def whatwg(url):
    """`new URL(url).toString()` for the http(s) URLs this generator makes."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\\]*)([^?#]*)(?:\?([^#]*))?$", url)
    scheme, authority, path, query = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
    _, _, host, port, _ = split_url(scheme + "://" + authority)
    host = host.lower()
    if port and int(port[1:]) == DEFAULT_PORTS[scheme]:
        port = ""
    elif port:
        port = ":%d" % int(port[1:])
    segments = path.replace("\\", "/")[1:].split("/") if path else [""]
    out = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if _is_double_dot(seg):
            if out:
                out.pop()
            if last:
                out.append("")
        elif _is_single_dot(seg):
            if last:
                out.append("")
        else:
            out.append(_pct_encode(seg, PATH_SET))
    result = scheme + "://" + host + port + "/" + "/".join(out)
    if query is not None:
        result += "?" + _pct_encode(query, SPECIAL_QUERY_SET)
    return result


# Node's querystring.escape leaves only these bytes alone.
_QS_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")


def qs_escape(text):
    return "".join(chr(b) if b in _QS_SAFE else "%%%02X" % b for b in text.encode("utf-8"))


def qs_unescape(text):
    """Node's querystring.unescape with '+' as space (valid %XX decoded, rest kept)."""
    return unquote(text.replace("+", " "), encoding="utf-8", errors="replace")


def _is_array_index(key):
    return re.fullmatch(r"0|[1-9][0-9]*", key) is not None and int(key) < 2**32 - 1


def legacy_querystring(url):
    """twilio-node's withLegacyQuerystring: querystring.stringify(querystring.parse(q))."""
    start = url.find("?")
    if start == -1 or start == len(url) - 1:
        return url
    parsed = {}
    for piece in url[start + 1:].split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        parsed.setdefault(qs_unescape(key), []).append(qs_unescape(value))
    # A JavaScript object lists array-index keys first, in numeric order.
    keys = sorted((k for k in parsed if _is_array_index(k)), key=int)
    keys += [k for k in parsed if not _is_array_index(k)]
    pairs = [qs_escape(k) + "=" + qs_escape(v) for k in keys for v in parsed[k]]
    return url[:start] + "?" + "&".join(pairs)


def python_geturl(url):
    """urlparse(url).geturl(), e.g. drops an empty '?' (what twilio-python signs against)."""
    return urlunparse(urlparse(url))


URL_VARIANTS = {
    "exact": lambda u: u,
    "port-removed": remove_port,
    "port-added": add_port,
    "whatwg": whatwg,
    "whatwg+port": lambda u: add_port(whatwg(u)),
    "legacy-qs": lambda u: legacy_querystring(whatwg(u)),
    "legacy-qs+port": lambda u: legacy_querystring(add_port(whatwg(u))),
    "legacy-qs-raw": legacy_querystring,  # query re-encoded, URL otherwise as received
    "python-geturl": python_geturl,
}
URL_VARIANT_WEIGHTS = {
    "exact": 40, "port-removed": 13, "port-added": 13, "whatwg": 10, "whatwg+port": 5,
    "legacy-qs": 8, "legacy-qs+port": 3, "legacy-qs-raw": 3, "python-geturl": 5,
}


# --------------------------------------------------------------------------------------
# What http::Uri accepts as a path-and-query (http 1.x PATH_MAP / QUERY_MAP): the
# requests must be representable as the server would see them.
# --------------------------------------------------------------------------------------

def _uri_byte_ok(b, in_query):
    if b >= 0x80:
        return True
    if b in (0x21, 0x3D, 0x7E) or 0x24 <= b <= 0x3B or 0x40 <= b <= 0x5F or 0x61 <= b <= 0x7A:
        return True
    if in_query:
        return 0x3F <= b <= 0x7E
    return b in (0x7C, 0x22, 0x7B, 0x7D)


def check_path_and_query(pq):
    assert pq.startswith("/"), pq
    in_query = False
    for b in pq.encode("utf-8"):
        if b == ord("?") and not in_query:
            in_query = True
        elif not _uri_byte_ok(b, in_query):
            raise ValueError("not representable as http::Uri: %r" % pq)


# --------------------------------------------------------------------------------------
# Random material.
# --------------------------------------------------------------------------------------

HOSTS = ["mycompany.com", "example.com", "hooks.example.org", "api.my-app.io", "localhost",
         "127.0.0.1", "twilio-webhooks.internal.example.net", "xn--bcher-kva.example"]
MIXED_CASE_HOSTS = ["MyCompany.com", "Example.COM", "Hooks.Example.org"]
IPV6_HOSTS = ["[::1]", "[2001:db8::1]"]

PATH_SEGMENTS = {
    "plain": ["voice", "sms", "webhook", "twilio", "status-callback", "api", "v1", "2010-04-01",
              "hooks", "myapp.php", "index.html", "a_b", "incoming.call", "~user", "CamelCase"],
    "special": ["it's", "wow!", "a*b", "(paren)", "with%20space", "a+b", "semi;colon", "com,ma",
                "at@sign", "dollar$", "eq=sign", "col:on", "[br]", "pipe|", "caret^", "amp&er",
                'quote"', "{brace}"],
    "unicode": ["España", "café", "日本語", "😀", "！", "\ue000", "ß", "Ω", "naïve", "𝔘"],
    "percent": ["Espa%C3%B1a", "caf%c3%a9", "%F0%9F%98%80", "%EF%BC%81", "%7Euser", "a%2Fb",
                "100%25", "%41%42", "%20lead", "%27quoted%27"],
    "dots": [".", "..", "%2e", "%2E%2e"],
    "odd": ["a\\b", ""],
}
PATH_WEIGHTS = {"plain": 60, "special": 15, "unicode": 10, "percent": 10, "dots": 3, "odd": 2}

QUERY_PIECES = [
    "foo=1", "bar=2", "a=1&a=2", "a=2&a=1&a=2", "q=a+b", "q=a%20b", "Body=It's+amazing",
    "x='", "año=2023", "a%C3%B1o=2023", "e=😀", "e=%F0%9F%98%80", "flag", "empty=", "x=%27",
    "star=*", "bang=!", "paren=(x)", "tilde=~", "sq=[1]", "caret=^", "pipe=|", "brace={}",
    "bt=`", "pct=%zz", "1=one", "10=ten", "2=two", "slash=/a/b", "qm=?x", "colon=a:b",
    "eq=a=b", "semi=a;b", "comma=a,b", "at=a@b", "dollar=$5", "plus=%2B14155551212",
    "ff=！", "ff=%EF%BC%81", "pu=\ue000", "lower=%c3%b1", "sp=%20", "lang=en-US", "n=-1.5e3",
    "UPPER=%C3%91", "k😀=v", "k！=v",
]

SORT_PROBE_CHARS = ["😀", "！", "\ue000", "Ａ", "\uffee", "𝔘", "a", "z"]

KEY_POOL = ["Body", "Digits", "From", "To", "CallSid", "callSid", "CALLSID", "Callsid",
            "MessagingBinding.Address", "ключ", "año", "😀key", "！bang", "\ue000priv", "Ａ",
            "é", "e", "z", "Z", "a b", "a+b", "key[]", "a.b", "1", "10", "2", "_", "Ω",
            "k😀", "k！", "k\ue000", "kｚ", "a&b", "a=b", "100%", "'quoted'", "(x)"]

WORDS = ["hello", "Hello", "world", "It's", "amazing", "ñáéíóú", "日本", "😀", "👍🏽", "！", "+1",
         "&", "=", "%", "100%", "a+b", "#", "?", "/", "@", "(x)", "*", "~", "'", '"', "<b>",
         "\ue000", "Ａ", "𝔘", "ß", "line\nbreak", "tab\there", " ", "goodbye!"]

VOICE_KEYS = ["AccountSid", "ApiVersion", "CallSid", "CallStatus", "Called", "Caller",
              "Direction", "From", "To", "CallerCountry", "ToCountry", "Digits"]
SMS_KEYS = ["ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity", "FromZip", "SmsSid",
            "FromState", "SmsStatus", "FromCity", "Body", "FromCountry", "To",
            "MessagingServiceSid", "ToZip", "NumSegments", "MessageSid", "AccountSid", "From",
            "ApiVersion"]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    # small helpers --------------------------------------------------------------------
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, weights):
        names = list(weights)
        return self.rng.choices(names, [weights[n] for n in names])[0]

    def hexstr(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def token(self):
        return self.hexstr(32)

    def shared_secret(self):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.choice([24, 32, 44])))

    def sid(self, prefix):
        return prefix + self.hexstr(32)

    def phone(self):
        return "+1" + "".join(self.rng.choice("0123456789") for _ in range(10))

    # URL ------------------------------------------------------------------------------
    def base_url(self):
        scheme = "https" if self.chance(0.7) else "http"
        r = self.rng.random()
        if r < 0.04:
            host = self.pick(MIXED_CASE_HOSTS)
        elif r < 0.08:
            host = self.pick(IPV6_HOSTS)
        else:
            host = self.pick(HOSTS)
        default = ":443" if scheme == "https" else ":80"
        other = ":80" if scheme == "https" else ":443"
        port = self.weighted({"": 50, default: 18, ":8443": 8, ":8080": 8, ":3000": 6,
                              ":1234": 5, other: 3, ":65535": 2})
        return "%s://%s%s" % (scheme, host, port)

    def path(self):
        if self.chance(0.06):
            return "/"
        segs = [self.pick(PATH_SEGMENTS[self.weighted(PATH_WEIGHTS)])
                for _ in range(self.rng.randint(1, 4))]
        path = "/" + "/".join(segs)
        if self.chance(0.1):
            path += "/"
        return path

    def query_pieces(self, low, high):
        pieces = []
        for _ in range(self.rng.randint(low, high)):
            if self.chance(0.3):
                pieces.append("%s=%s" % (self.pick(["CallSid", "AccountSid", "id", "tag"]),
                                         self.sid("CA") if self.chance(0.5) else self.hexstr(6)))
            else:
                pieces.append(self.pick(QUERY_PIECES))
        return pieces

    def join_query(self, pieces):
        query = "&".join(pieces)
        if pieces and self.chance(0.03):
            query += "&"
        if len(pieces) > 1 and self.chance(0.02):
            query = query.replace("&", "&&", 1)
        return query

    # form bodies ---------------------------------------------------------------------
    def value(self):
        kind = self.weighted({"sid": 10, "phone": 10, "text": 25, "digits": 8, "empty": 6,
                              "probe": 8, "special": 5, "spaces": 3, "unicode": 8})
        if kind == "sid":
            return self.sid(self.pick(["CA", "SM", "AC", "MG"]))
        if kind == "phone":
            return self.phone()
        if kind == "text":
            return " ".join(self.pick(WORDS) for _ in range(self.rng.randint(1, 5)))
        if kind == "digits":
            return str(self.rng.randint(0, 99999))
        if kind == "empty":
            return ""
        if kind == "probe":
            return "".join(self.pick(SORT_PROBE_CHARS) for _ in range(self.rng.randint(1, 3)))
        if kind == "special":
            return self.pick(["Hello & goodbye! @#$%^*()", "a=b&c=d", "100% sure", "+1 (415) 867-5309",
                              "unicode: ñáéíóú", "<Response/>", "x+y=z"])
        if kind == "spaces":
            return self.pick(["  leading", "trailing  ", " ", "a  b"])
        return self.pick(["España", "Zürich", "東京", "😀", "👨‍👩‍👧", "！！", "\ue000", "𝔘nicode",
                          "ａｂｃ", "Ωmega"])

    def form_params(self):
        """Decoded (key, value) pairs in wire order, plus a description."""
        template = self.weighted({"voice": 25, "sms": 25, "random": 40, "none": 5, "vectors": 5})
        pairs = []
        if template == "voice":
            for key in VOICE_KEYS:
                if self.chance(0.8):
                    pairs.append((key, self.phone() if key in ("From", "To", "Called", "Caller")
                                  else self.sid("CA") if key == "CallSid" else self.value()))
        elif template == "sms":
            for key in SMS_KEYS:
                if self.chance(0.8):
                    pairs.append((key, self.value()))
        elif template == "vectors":
            pairs = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"),
                     ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")]
        elif template == "random":
            for _ in range(self.rng.randint(1, 8)):
                pairs.append((self.pick(KEY_POOL), self.value()))
        # Repeated keys: several values, duplicates, any order on the wire.
        if pairs and self.chance(0.3):
            key = self.pick([k for k, _ in pairs] + ["MessagingBinding.Address", "Digits", "Probe"])
            choices = [self.value() for _ in range(self.rng.randint(1, 3))]
            for _ in range(self.rng.randint(2, 4)):
                pairs.append((key, self.pick(choices)))
        # Sort-order probes: keys or values that order differently in UTF-8 and UTF-16.
        if self.chance(0.15):
            if self.chance(0.5):
                pairs += [("k😀", self.value()), ("k！", self.value()), ("k\ue000", self.value())]
            else:
                pairs += [("SortProbe", v) for v in ("😀", "！", "\ue000x", "𝔘", "ａ")]
        # Keys that differ only by case.
        if self.chance(0.1):
            pairs += [("CallSid", "upper"), ("callSid", "lower"), ("CALLSID", "allcaps")]
        if self.chance(0.7):
            self.rng.shuffle(pairs)
        return pairs, template

    def encode_form_text(self, text, style):
        if style == "plus":  # what Twilio and browsers send
            return quote(text, safe="").replace("%20", "+")
        if style == "pct20":
            return quote(text, safe="")
        if style == "lowerhex":
            return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(text, safe=""))
        if style == "raw":  # escape only what would change the meaning
            return "".join({"%": "%25", "&": "%26", "=": "%3D", "+": "%2B", " ": "+"}.get(c, c)
                           for c in text)
        if style == "all":  # every byte escaped, even unreserved ones
            return "".join("%%%02X" % b for b in text.encode("utf-8"))
        raise ValueError(style)

    def encode_form(self, pairs):
        styles = {"plus": 70, "pct20": 10, "lowerhex": 5, "raw": 10, "all": 5}
        pieces = []
        for key, value in pairs:
            k = self.encode_form_text(key, self.weighted(styles))
            v = self.encode_form_text(value, self.weighted(styles))
            pieces.append(k + "=" + v)
        return pieces

    def form_body(self):
        """Returns (body text, decoded pairs as a parser sees them, note)."""
        pairs, template = self.form_params()
        pieces = self.encode_form(pairs)
        notes = ["params=%s(%d)" % (template, len(pairs))]
        # Wire-level oddities: value-less key, empty key, empty pieces, broken escapes.
        if self.chance(0.05):
            pieces.append(self.pick(["Flag", "Empty", "k😀"]))
            notes.append("key without '='")
        if self.chance(0.02):
            pieces.append("=" + self.encode_form_text(self.value(), "plus"))
            notes.append("empty key")
        if self.chance(0.03):
            pieces.append(self.pick(["Lossy=%C3", "Lossy=%ED%A0%80", "Lossy=%F0%9F%98",
                                     "Pct=100%", "Pct=%zz", "Pct=%2", "Lossy=%FF%FE"]))
            notes.append("broken percent escape")
        if pieces and self.chance(0.03):
            pieces.insert(self.rng.randrange(len(pieces) + 1), "")
            notes.append("empty piece")
        body = "&".join(pieces)
        return body, parse_form(body), "; ".join(notes)

    # JSON bodies ----------------------------------------------------------------------
    def json_body(self):
        obj = {}
        for _ in range(self.rng.randint(0, 6)):
            key = self.pick(["property", "boolean", "Body", "event", "data", "ñ", "😀", "sid"])
            obj[key] = self.pick([self.value(), True, False, None, self.rng.randint(-5, 10**6),
                                  [self.value(), 1.5], {"nested": self.value()}])
        if self.chance(0.05):
            return '{"property": "value", "boolean": true}'
        return json.dumps(obj, ensure_ascii=self.chance(0.3),
                          separators=self.pick([(", ", ": "), (",", ":")]),
                          indent=2 if self.chance(0.1) else None)


def parse_form(body):
    """Decode an x-www-form-urlencoded body the way both libraries' parsers do."""
    pairs = []
    for piece in body.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((qs_unescape(key), qs_unescape(value)))
    return pairs


def settings_header(key_id, algorithm, style="plain"):
    if style == "spaces":
        return "key=%s, algorithm=%s" % (key_id, algorithm)
    if style == "reversed":
        return "algorithm=%s,key=%s" % (algorithm, key_id)
    if style == "no-algorithm":
        return "key=%s" % key_id
    return "key=%s,algorithm=%s" % (key_id, algorithm)


# --------------------------------------------------------------------------------------
# Base requests.
# --------------------------------------------------------------------------------------

def make_case(case_id, base_url, method, path_and_query, signed_url, content_type, body, headers,
              auth_token, secondary_tokens, shared_keys, note):
    """A request as the server sees it; signed_url is the exact URL string the signature
    was computed over (what Twilio was configured with), for diff/soundness.py."""
    check_path_and_query(path_and_query)
    return {
        "id": case_id, "base_url": base_url, "method": method,
        "path_and_query": path_and_query, "signed_url": signed_url,
        "content_type": content_type, "body": body,
        "headers": headers, "auth_token": auth_token, "secondary_tokens": secondary_tokens,
        "shared_keys": shared_keys, "note": note,
    }


def random_case(g, case_id):
    base = g.base_url()
    path = g.path()
    kind = g.weighted({"form": 62, "json": 15, "get": 18, "empty-post": 5})
    notes = []

    # Query string
    if kind == "get":
        query = g.join_query(g.query_pieces(0, 6)) if g.chance(0.85) else None
    else:
        query = g.join_query(g.query_pieces(1, 4)) if g.chance(0.45) else None
    if query == "" and kind != "json":
        query = None
    if query is None and g.chance(0.05):
        query = ""  # a bare '?'

    body, params, content_type, method = "", [], "", "POST"
    if kind == "form":
        body, params, form_note = g.form_body()
        content_type = g.weighted({FORM: 80, FORM + "; charset=UTF-8": 15,
                                   "Application/X-WWW-Form-URLEncoded": 5})
        notes.append("form " + form_note)
    elif kind == "empty-post":
        content_type = FORM
        notes.append("form empty body")
    elif kind == "get":
        method = "GET" if g.chance(0.9) else "HEAD"
        notes.append(method)
        hashed = g.weighted({"none": 80, "bodyless": 10, "bodyless-twice": 5, "with-body": 5})
        if hashed != "none":
            # A callback whose URL carries bodySHA256: bodyless, as the regulatory-
            # compliance bundle callback (even twice), or a GET that has a body.
            if hashed == "with-body":
                method, body, content_type = "GET", g.json_body(), JSON_CT
                digest = sha256_hex(body) if g.chance(0.6) else g.hexstr(64)
            else:
                digest = sha256_hex(g.json_body()) if g.chance(0.5) else g.hexstr(64)
            hash_pieces = ["bodySHA256=" + digest] * (2 if hashed == "bodyless-twice" else 1)
            pieces = query.split("&") if query else []
            query = "&".join(pieces + hash_pieces)
            notes.append("bodySHA256 " + hashed)
    else:
        body = g.json_body()
        content_type = g.pick([JSON_CT, JSON_CT + "; charset=utf-8"])
        variant = g.weighted({"correct": 70, "wrong": 8, "other-body": 8, "uppercase": 6,
                              "repeated": 4, "repeated-wrong-first": 4})
        digest = sha256_hex(body)
        if variant == "wrong":
            digest = g.hexstr(64)
        elif variant == "other-body":
            digest = sha256_hex(body + " ")
        elif variant == "uppercase":
            digest = digest.upper()
        hash_pieces = ["bodySHA256=" + digest]
        if variant == "repeated":
            hash_pieces.append("bodySHA256=" + g.hexstr(64))
        elif variant == "repeated-wrong-first":
            hash_pieces.insert(0, "bodySHA256=" + g.hexstr(64))
        pieces = query.split("&") if query else []
        at = len(pieces) if g.chance(0.7) else g.rng.randrange(len(pieces) + 1)
        query = "&".join(pieces[:at] + hash_pieces + pieces[at:])
        notes.append("json bodySHA256=%s" % variant)

    path_and_query = path + ("" if query is None else "?" + query)
    public = base + path_and_query

    # Secrets the server is configured with.
    auth_token = g.token()
    secondary = [g.token() for _ in range(g.weighted({0: 70, 1: 20, 2: 10}))]
    shared = {}
    for _ in range(g.weighted({0: 60, 1: 25, 2: 15})):
        shared["webhooks_sharedkey_" + g.hexstr(8)] = g.shared_secret()

    mode = g.weighted({"auth": 60, "secondary": 12, "shared-sha256": 15, "shared-sha1": 4,
                       "shared-unknown-id": 3, "shared-no-algorithm": 2, "shared-lowercase-alg": 1,
                       "sha256-without-header": 1, "auth-with-header": 2})
    if mode == "secondary" and not secondary:
        secondary = [g.token()]
    if mode.startswith("shared") and not shared:
        shared["webhooks_sharedkey_" + g.hexstr(8)] = g.shared_secret()

    headers = {}
    algorithm = "HMAC_SHA1"
    if mode == "auth":
        secret = auth_token
    elif mode == "secondary":
        secret = g.pick(secondary)
    elif mode == "sha256-without-header":
        secret, algorithm = auth_token, "HMAC_SHA256"
    elif mode == "auth-with-header":  # signed with the auth token, header names a shared key
        secret = auth_token
        key_id = g.pick(sorted(shared)) if shared else "webhooks_sharedkey_" + g.hexstr(8)
        headers[SETTINGS] = settings_header(key_id, g.pick(["HMAC_SHA1", "HMAC_SHA256"]))
    else:
        key_id = g.pick(sorted(shared))
        secret = shared[key_id]
        algorithm = "HMAC_SHA1" if mode in ("shared-sha1", "shared-no-algorithm") else "HMAC_SHA256"
        header_id = key_id if mode != "shared-unknown-id" else "webhooks_sharedkey_" + g.hexstr(8)
        header_alg = "hmac_sha256" if mode == "shared-lowercase-alg" else algorithm
        style = "no-algorithm" if mode == "shared-no-algorithm" else \
            g.weighted({"plain": 80, "spaces": 10, "reversed": 10})
        headers[SETTINGS] = settings_header(header_id, header_alg, style)
    notes.append("secret=%s alg=%s" % (mode, algorithm))

    # The URL Twilio was configured with (and signed).
    url_variant = g.weighted(URL_VARIANT_WEIGHTS)
    if query == "" and g.chance(0.4):
        url_variant = "python-geturl"  # signed without the bare '?'
    sign_url = URL_VARIANTS[url_variant](public)
    if g.chance(0.02):
        url_variant, sign_url = "path-decoded (signed unescaped path)", unquote(sign_url)
    elif g.chance(0.015):
        url_variant = "scheme-flipped"
        sign_url = ("http" + sign_url[5:]) if sign_url.startswith("https") else "https" + sign_url[4:]
    notes.append("url=%s%s" % (url_variant, "" if sign_url != public else " (same)"))

    order = byte_order
    if params and utf16_order_differs(params) and g.chance(0.25):
        order = utf16_order
        notes.append("signed in UTF-16 order")
    headers[SIG] = sign(secret, signed_string(sign_url, params, order), algorithm)
    if g.chance(0.1):
        headers["user-agent"] = "TwilioProxy/1.1"
    case = make_case(case_id, base, method, path_and_query, sign_url, content_type, body,
                     dict(sorted(headers.items())), auth_token, secondary, shared, "; ".join(notes))
    meta = {"kind": kind, "mode": mode, "secret": secret, "algorithm": algorithm}
    return case, meta


def utf16_order_differs(params):
    keys = sorted({k for k, _ in params})
    values = [sorted({v for k2, v in params if k2 == k}) for k in keys]
    b = ([k for k in keys], values)
    u = (sorted(keys, key=utf16_order), [sorted(v, key=utf16_order) for v in values])
    return b[0] != u[0] or any(x != y for x, y in zip(b[1], u[1]))


# --------------------------------------------------------------------------------------
# Known answers from shared/twilio-vectors.md, as requests. Also a self-check that the
# signing code above reproduces the documented signatures.
# --------------------------------------------------------------------------------------

U = "https://mycompany.com/myapp.php?foo=1&bar=2"
P = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
     ("From", "+14158675309"), ("To", "+18005551212")]
B = '{"property": "value", "boolean": true}'


def plus_encode(pairs):
    return "&".join(quote(k, safe="").replace("%20", "+") + "=" + quote(v, safe="").replace("%20", "+")
                    for k, v in pairs)


def known_cases():
    def case(n, base, pq, pairs, signature, signed, note, token="12345", body=None,
             content_type=FORM, headers=None, shared=None):
        signed_url, signed_signature = signed
        assert signed_signature == signature, (note, signed_signature, signature)
        h = {SIG: signature}
        h.update(headers or {})
        return make_case("k%02d" % n, base, "POST", pq, signed_url, content_type,
                         plus_encode(pairs) if body is None else body, h, token, [], shared or {},
                         "known vector: " + note)

    # (the URL signed over, the signature): the URL goes into the case as signed_url.
    s = lambda url, pairs, secret="12345", alg="HMAC_SHA1": (url, sign(secret, signed_string(url, pairs), alg))
    bh = sha256_hex(B)
    assert bh == "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    sk = {"webhooks_sharedkey_1": "sk_test_shared_secret"}
    sha256_settings = {SETTINGS: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    digits = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"),
              ("Digits", "1234")]
    binding = [("MessagingBinding.Address", "+1415xxxxxxx"), ("MessagingBinding.Address", "+1325xxxxxxx")]
    case_keys = [("callSid", "lowercase"), ("CALLSID", "allcaps"), ("CallSid", "uppercase")]
    special = [("From", "+1 (415) 867-5309"), ("Message", "Hello & goodbye! @#$%^*()"),
               ("Special", "unicode: ñáéíóú")]
    empty = [("CallSid", "CA1234567890ABCDE"), ("Digits", ""), ("EmptyParam", "")]
    return [
        case(1, "https://mycompany.com:1234", "/myapp.php?foo=1&bar=2", P,
             "RSOYDt4T1cUTdK1PDd93/VVr8B8=", s(U, P), "server sees a port Twilio did not sign"),
        case(2, "https://mycompany.com", "/myapp.php?foo=1&bar=2", P, "kvajT1Ptam85bY51eRf/AJRuM3w=",
             s("https://mycompany.com:443/myapp.php?foo=1&bar=2", P), "signed with :443"),
        case(3, "http://mycompany.com:1234", "/myapp.php?foo=1&bar=2", P, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
             s("http://mycompany.com:1234/myapp.php?foo=1&bar=2", P), "http with port 1234"),
        case(4, "http://mycompany.com", "/myapp.php?foo=1&bar=2", P, "0ZXoZLH/DfblKGATFgpif+LLRf4=",
             s("http://mycompany.com:80/myapp.php?foo=1&bar=2", P), "signed with :80"),
        case(5, "https://mycompany.com", "/myapp.php?foo=1&bar=2&bodySHA256=" + bh, [],
             "a9nBmqA0ju/hNViExpshrM61xv4=", s(U + "&bodySHA256=" + bh, []), "JSON body",
             body=B, content_type=JSON_CT),
        case(6, "https://mycompany.com", "/myapp.php?bodySHA256=" + bh, [],
             "y77kIzt2vzLz71DgmJGsen2scGs=",
             s("https://mycompany.com/myapp.php?bodySHA256=" + bh, []), "JSON body, hash only",
             body=B, content_type=JSON_CT),
        case(7, "https://mycompany.com", "/myapp.php?foo=1&bar=2", digits, "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
             s(U, digits), "repeated Digits"),
        case(8, "https://mycompany.com", "/myapp.php?foo=1&bar=2", binding, "83O6e2vORAoJHUNzJjDWN1jz+BA=",
             s(U, binding), "repeated key, wire order reversed"),
        case(9, "https://mycompany.com", "/webhook/España?año=2023", P, "G/Hx6mqqnjUNlPAoi2Sp9bGst0g=",
             s("https://mycompany.com/webhook/España?año=2023", P), "raw UTF-8 URL"),
        case(10, "https://mycompany.com", "/myapp.php?foo=1&bar=2", case_keys, "jDK7WKT8wiNrwggd4ceTv4e1MJ4=",
             s(U, case_keys), "keys differing by case"),
        case(11, "https://mycompany.com", "/myapp.php?foo=1&bar=2", special, "dCPiR4WtQ6QFN6pJh81CtlCcWLQ=",
             s(U, special), "special characters"),
        case(12, "https://mycompany.com", "/myapp.php?foo=1&bar=2", empty, "9HHp/OqQMEwdrVebHDdA/+tqjX8=",
             s(U, empty), "empty values"),
        case(13, "https://mycompany.com", "/myapp.php?foo=1&bar=2&Body=It's+amazing", P,
             "TfZzewPq8wqrGlMfyAud8+/IvJ0=", s(U + "&Body=It%27s+amazing", P),
             "query with ' (node's normalized candidate)"),
        case(14, "https://example.com", "/myapp.php?foo=1&bar=2",
             [(k, v.replace("09", "10")) for k, v in P], "L/OH5YylLD5NRKLltdqwSvS0BnU=",
             s("https://example.com/myapp.php?foo=1&bar=2", [(k, v.replace("09", "10")) for k, v in P]),
             "Twilio docs example"),
        case(15, "https://example.com", "/test", [("foo", "bar")], "TR9Skm9jiF4WVRJznU5glK5I83k=",
             s("https://example.com/test", [("foo", "bar")], "qwerty"), "token qwerty", token="qwerty"),
        case(16, "https://example.com",
             "/test?bodySHA256=79bfb0acaf0045fd30f13d48d4fe296b393d85a3bfbee881a0172b2bd574b11e", [],
             "+LYlbGr/VmN84YPJQCuWs+9UA7E=",
             s("https://example.com/test?bodySHA256=79bfb0acaf0045fd30f13d48d4fe296b393d85a3bfbee881a0172b2bd574b11e",
               [], "qwerty"),
             "body hash mismatch (must reject)", token="qwerty",
             body='{"message": "a post body that does not match the bodySHA256"}', content_type=JSON_CT),
        case(17, "https://mycompany.com", "/myapp.php?foo=1&bar=2", P,
             "5XEMldaT6NGZTJiYStEaqwsi2CGHd2pfREC3/1RiC/Y=",
             s(U, P, "sk_test_shared_secret", "HMAC_SHA256"), "HMAC-SHA256 shared key",
             headers=sha256_settings, shared=sk),
        case(18, "https://mycompany.com", "/myapp.php?foo=1&bar=2", P,
             "DVAwBh2jjx5G2nVnabJxx9grV8beVLBKruyyeUKHbtI=",
             s("https://mycompany.com:443/myapp.php?foo=1&bar=2", P, "sk_test_shared_secret", "HMAC_SHA256"),
             "HMAC-SHA256 shared key, signed with :443", headers=sha256_settings, shared=sk),
        case(19, "https://mycompany.com", "/myapp.php?foo=1&bar=2", P,
             "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s=", s(U, P, "12345", "HMAC_SHA256"),
             "HMAC-SHA256 with the auth token as secret but no settings header (must reject)"),
    ]


# --------------------------------------------------------------------------------------
# Tampering: one change to a request, then the libraries decide.
# --------------------------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _editable_positions(text, start=0, end=None):
    """Indexes of ASCII letters/digits that are not part of a %XX escape."""
    end = len(text) if end is None else end
    skip = set()
    for m in re.finditer(r"%[0-9A-Fa-f]{2}", text):
        skip.update(range(m.start(), m.end()))
    return [i for i in range(start, end) if text[i] in _ALNUM and i not in skip]


def _change_char(g, text, positions):
    i = g.pick(positions)
    ch = text[i]
    pool = "0123456789" if ch.isdigit() else (
        "abcdefghijklmnopqrstuvwxyz" if ch.islower() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    new = g.pick([c for c in pool if c != ch])
    return text[:i] + new + text[i + 1:]


def _split_pq(pq):
    path, sep, query = pq.partition("?")
    return path, (query if sep else None)


def _join_pq(path, query):
    return path + ("" if query is None else "?" + query)


def tamper(g, case, meta):
    """Returns a tampered copy of case, or None if the chosen tamper does not apply."""
    c = copy.deepcopy(case)
    kind = g.weighted({"value-byte": 14, "key-byte": 8, "path": 10, "query": 10, "body": 6,
                       "signature": 10, "token": 10, "drop-param": 8, "add-param": 8,
                       "settings": 8, "host": 3, "scheme": 2, "base-port": 3})
    path, query = _split_pq(c["path_and_query"])
    form = c["content_type"].lower().startswith(FORM) and c["body"]
    detail = ""
    if kind in ("value-byte", "key-byte"):
        if not form:
            return None
        pieces = c["body"].split("&")
        targets = []
        for n, piece in enumerate(pieces):
            eq = piece.find("=")
            key_end = eq if eq != -1 else len(piece)
            if kind == "key-byte":
                pos = _editable_positions(piece, 0, key_end)
            else:
                pos = _editable_positions(piece, eq + 1) if eq != -1 else []
            if pos:
                targets.append((n, pos))
        if not targets:
            return None
        n, pos = g.pick(targets)
        pieces[n] = _change_char(g, pieces[n], pos)
        detail = "piece %r" % pieces[n][:40]
        c["body"] = "&".join(pieces)
    elif kind == "path":
        pos = _editable_positions(path, 1)
        path = _change_char(g, path, pos) if pos else path + "x"
        c["path_and_query"] = _join_pq(path, query)
    elif kind == "query":
        if query is None:
            query = "tampered=1"
        else:
            hashes = set()  # leave bodySHA256 values to the 'body' tamper
            for m in re.finditer(r"bodySHA256=[^&]*", query):
                hashes.update(range(m.start(), m.end()))
            pos = [i for i in _editable_positions(query) if i not in hashes]
            query = _change_char(g, query, pos) if pos else query + "&tampered=1"
        c["path_and_query"] = _join_pq(path, query)
    elif kind == "body":
        if meta["kind"] != "json" or not _editable_positions(c["body"]):
            return None
        c["body"] = _change_char(g, c["body"], _editable_positions(c["body"]))
    elif kind == "signature":
        sig = c["headers"][SIG]
        c["headers"][SIG] = _change_char(g, sig, _editable_positions(sig))
    elif kind == "token":
        if meta["mode"] in ("auth", "auth-with-header", "sha256-without-header"):
            c["auth_token"] = g.token()
        elif meta["mode"] == "secondary":
            c["secondary_tokens"] = [t for t in c["secondary_tokens"] if t != meta["secret"]] + [g.token()]
        else:
            for key_id, secret in c["shared_keys"].items():
                if secret == meta["secret"]:
                    c["shared_keys"][key_id] = g.shared_secret()
        detail = "signing secret replaced"
    elif kind == "drop-param":
        if form:
            pieces = c["body"].split("&")
            dropped = pieces.pop(g.rng.randrange(len(pieces)))
            c["body"] = "&".join(pieces)
        elif query:
            pieces = [p for p in query.split("&")]
            candidates = [i for i, p in enumerate(pieces) if not p.startswith("bodySHA256=")]
            if not candidates:
                return None
            dropped = pieces.pop(g.pick(candidates))
            c["path_and_query"] = _join_pq(path, "&".join(pieces))
        else:
            return None
        detail = "dropped %r" % dropped[:40]
    elif kind == "add-param":
        extra = g.pick(["Extra=1", "CallSid=CA" + g.hexstr(32), "Digits=9", "k%F0%9F%98%80=x", "Flag"])
        if form or (meta["kind"] in ("form", "empty-post") and g.chance(0.5)):
            c["body"] = (c["body"] + "&" if c["body"] else "") + extra
        else:
            query = extra if not query else query + "&" + extra
            c["path_and_query"] = _join_pq(path, query)
        detail = "added %r" % extra
    elif kind == "settings":
        header = c["headers"].get(SETTINGS)
        if header is None:
            key_id = g.pick(sorted(c["shared_keys"])) if c["shared_keys"] and g.chance(0.5) \
                else "webhooks_sharedkey_" + g.hexstr(8)
            c["headers"][SETTINGS] = settings_header(key_id, g.pick(["HMAC_SHA1", "HMAC_SHA256"]))
            detail = "header added"
        else:
            change = g.pick(["flip-algorithm", "unknown-key", "drop", "other-key"])
            if change == "flip-algorithm":
                if "SHA256" in header.upper():
                    new = re.sub("(?i)hmac_sha256", "HMAC_SHA1", header)
                elif "algorithm" in header:
                    new = re.sub("(?i)hmac_sha1", "HMAC_SHA256", header)
                else:
                    new = header + ",algorithm=HMAC_SHA256"
                c["headers"][SETTINGS] = new
            elif change == "unknown-key":
                c["headers"][SETTINGS] = re.sub(r"key=[^,]*", "key=webhooks_sharedkey_" + g.hexstr(8), header)
            elif change == "other-key":
                others = [k for k in sorted(c["shared_keys"]) if "key=" + k not in header]
                if not others:
                    return None
                c["headers"][SETTINGS] = re.sub(r"key=[^,]*", "key=" + g.pick(others), header)
            else:
                del c["headers"][SETTINGS]
            detail = change
    elif kind == "host":
        scheme, _, host, port, _ = split_url(c["base_url"])
        c["base_url"] = scheme + g.pick([h for h in HOSTS if h != host.lower()]) + port
    elif kind == "scheme":
        base = c["base_url"]
        c["base_url"] = ("http" + base[5:]) if base.startswith("https") else "https" + base[4:]
    elif kind == "base-port":
        scheme, _, host, port, _ = split_url(c["base_url"])
        c["base_url"] = scheme + host + ("" if port else g.pick([":8443", ":443", ":80"]))
        detail = "port %s" % ("removed" if port else "added")
    c["note"] = case["note"] + " | tamper=" + kind + (" (%s)" % detail if detail else "")
    check_path_and_query(c["path_and_query"])
    return c


# --------------------------------------------------------------------------------------
# Attacks: one captured signed request reused for another meaning. The helper libraries
# accept some of these; the crate refuses them on purpose (diff/soundness.py says why), and
# accepts the variants that denote the same request. Deterministic, so every seed has them.
# --------------------------------------------------------------------------------------

def attack_cases():
    token = "attack-token-0123456789abcdef01"
    base = "https://hooks.example.com"
    form = "From=%2B14155550100&Body=hi"
    out = []

    def add(pq, signed_url, note, body=form, content_type=FORM, method="POST"):
        is_form = method == "POST" and content_type == FORM and "bodySHA256" not in pq
        params = parse_form(body) if is_form else []
        signature = sign(token, signed_string(signed_url, params))
        out.append(make_case("a%02d" % (len(out) + 1), base, method, pq, signed_url,
                             content_type, body, {SIG: signature}, token, [], {},
                             "attack: " + note))

    captured = "/status?MessageSid=SM1&MessageStatus=delivered"
    attacker_json = '{"admin": true}'
    add(captured + "&" * 1000 + "&bodySHA256=" + sha256_hex(attacker_json), base + captured,
        "URL-only signature, 1000 '&' then bodySHA256 of another body",
        body=attacker_json, content_type=JSON_CT)
    add("/voice?a=1" + "&" * 1000 + "&tenant=666&admin=1", base + "/voice?a=1",
        "form signature, 1000 '&' then extra query parameters")
    add("/voice;", base + "/voice", "a ';' python drops")
    add("/admin/%2e%2e/voice", whatwg(base + "/admin/%2e%2e/voice"), "dot segment node resolves")
    add("/admin/../voice", whatwg(base + "/admin/../voice"), "raw dot segment node resolves")
    add("/a\\..\\voice", whatwg(base + "/a\\..\\voice"), "backslashes node reads as '/'")
    add("/voice?x=%FF", legacy_querystring(base + "/voice?x=%FF"), "query byte node replaces by U+FFFD")
    add("/voice", base + "/voice", "form body not UTF-8, signed as U+FFFD", body="Body=%FF")
    add("/voice", base + "/voice", "form body '=' under a URL-only signature", body="=")
    add("/voice", base + "/voice", "form body of '&' under a URL-only signature", body="&" * 100)
    # A POST whose JSON body was dropped, under a URL signed with the bodySHA256 of
    # another body: the libraries, handed the raw (empty) body, refuse it, and so does
    # the crate (Twilio sends a POST with its body; only a bodyless GET or HEAD is
    # signed by its URL alone).
    hashed = "/events?bodySHA256=" + sha256_hex('{"event": "x"}')
    add(hashed, base + hashed, "POST with its body dropped", body="", content_type=JSON_CT)
    # A regulatory-compliance bundle callback: GET, bodySHA256 twice, no body.
    bundle = "/bundles?BundleSid=BU1&Status=twilio-approved&bodySHA256=%s&bodySHA256=%s" % (
        sha256_hex(""), sha256_hex(""))
    add(bundle, base + bundle, "bodyless GET with bodySHA256 twice", body="", content_type="",
        method="GET")
    add(bundle, base + bundle, "the same GET with a body", body='{"admin": true}',
        content_type=JSON_CT, method="GET")
    # The same request written differently: accepted.
    add("/voice?q=a+b", base + "/voice?q=a%20b", "'+' for '%20' (same parameters)")
    add("/voice?10=x&2=y", legacy_querystring(base + "/voice?10=x&2=y"),
        "names of an array index reordered (same parameters)")
    add("/voice?a=1&&b=2", legacy_querystring(base + "/voice?a=1&&b=2"),
        "an empty query pair dropped (same parameters)")
    add("/caf%C3%A9", base + "/caf%C3%A9", "escaped path, as received")
    add("/voice", "https://hooks.example.com:443/voice", "default port added")
    return out


# --------------------------------------------------------------------------------------
# Settings-header variants: one request signed several ways, each sent with each form of
# X-Twilio-Webhooks-Signature-Settings (name case, spaces, order, repeated or empty
# algorithm=, unknown algorithm, unknown / empty / other-case / missing key id, malformed,
# two headers, none). Deterministic but for the secrets, drawn from the seed.
# --------------------------------------------------------------------------------------

SETTINGS_VARIANTS = [
    # (name of the variant, header name, value or list of values; None: no header)
    ("plain", SETTINGS, "key={id},algorithm={alg}"),
    ("name in title case", "X-Twilio-Webhooks-Signature-Settings", "key={id},algorithm={alg}"),
    ("name in upper case", SETTINGS.upper(), "key={id},algorithm={alg}"),
    ("spaces", SETTINGS, " key = {id} ,  algorithm = {alg} "),
    ("algorithm first", SETTINGS, "algorithm={alg},key={id}"),
    ("algorithm lower case", SETTINGS, "key={id},algorithm={alg_lower}"),
    ("algorithm repeated, first wins", SETTINGS, "key={id},algorithm={alg},algorithm={other_alg}"),
    ("algorithm empty then named", SETTINGS, "key={id},algorithm=,algorithm={alg}"),
    ("algorithm empty", SETTINGS, "key={id},algorithm="),
    ("algorithm missing", SETTINGS, "key={id}"),
    ("algorithm unknown", SETTINGS, "key={id},algorithm=HMAC_SHA512"),
    ("algorithm unknown after the named one", SETTINGS, "key={id},algorithm={alg},algorithm=HMAC_MD5"),
    ("Algorithm= (name case)", SETTINGS, "key={id},Algorithm={alg}"),
    ("key id unknown", SETTINGS, "key=webhooks_sharedkey_{hex},algorithm={alg}"),
    ("key id of the other key", SETTINGS, "key={other_id},algorithm={alg}"),
    ("key id in upper case", SETTINGS, "key={id_upper},algorithm={alg}"),
    ("key id empty", SETTINGS, "key=,algorithm={alg}"),
    ("key= missing", SETTINGS, "algorithm={alg}"),
    ("key without =", SETTINGS, "key,algorithm={alg}"),
    ("key repeated", SETTINGS, "key={hex},key={id},algorithm={alg}"),
    ("malformed: garbage", SETTINGS, "garbage"),
    ("malformed: commas", SETTINGS, ",,,"),
    ("malformed: semicolons", SETTINGS, "key={id};algorithm={alg}"),
    ("empty header", SETTINGS, ""),
    ("two headers", SETTINGS, ["key={id}", "algorithm={alg}"]),
    ("two headers, first wins", SETTINGS, ["key={id},algorithm={alg}", "key={other_id},algorithm={other_alg}"]),
    ("two headers, first empty", SETTINGS, ["", "key={id},algorithm={alg}"]),
    ("two headers, empty algorithm first", SETTINGS, ["key={id},algorithm=", "algorithm={alg}"]),
    ("two headers, unknown algorithm second", SETTINGS, ["key={id},algorithm={alg}", "algorithm=HMAC_MD5"]),
    ("no header", None, None),
]


def settings_cases(seed):
    g = Gen(seed ^ 0x5E771)
    base = "https://hooks.example.com"
    token = g.token()
    ids = ["webhooks_sharedkey_" + g.hexstr(8) for _ in range(2)]
    shared = {i: g.shared_secret() for i in ids}
    form = "AccountSid=AC%s&CallSid=CA%s&From=%%2B14155550100&k%%F0%%9F%%98%%80=1&k%%EF%%BC%%81=2" \
        % (g.hexstr(32), g.hexstr(32))
    requests = [
        ("form POST", "POST", "/voice?x=1", FORM, form),
        ("GET", "GET", "/status?MessageStatus=sent", "", ""),
        ("JSON POST", "POST", None, JSON_CT, '{"event": "%s"}' % g.hexstr(8)),
    ]
    signers = [
        ("shared key 1, HMAC-SHA256", shared[ids[0]], "HMAC_SHA256"),
        ("shared key 1, HMAC-SHA1", shared[ids[0]], "HMAC_SHA1"),
        ("shared key 2, HMAC-SHA256", shared[ids[1]], "HMAC_SHA256"),
        ("auth token, HMAC-SHA1", token, "HMAC_SHA1"),
        ("auth token, HMAC-SHA256", token, "HMAC_SHA256"),
        ("another key, HMAC-SHA256", g.shared_secret(), "HMAC_SHA256"),
    ]
    out = []
    for req_name, method, pq, content_type, body in requests:
        if pq is None:
            pq = "/events?bodySHA256=" + sha256_hex(body)
        url = base + pq
        is_form = method == "POST" and content_type == FORM
        params = parse_form(body) if is_form else []
        for signer_name, secret, algorithm in signers:
            for order_name, order in (("", byte_order), (", UTF-16 order", utf16_order)):
                if order is utf16_order and not is_form:
                    continue
                signature = sign(secret, signed_string(url, params, order), algorithm)
                for variant, name, value in SETTINGS_VARIANTS:
                    alg_for_header = algorithm
                    fill = {
                        "id": ids[0], "other_id": ids[1], "id_upper": ids[0].upper(),
                        "alg": alg_for_header, "alg_lower": alg_for_header.lower(),
                        "other_alg": "HMAC_SHA1" if algorithm == "HMAC_SHA256" else "HMAC_SHA256",
                        "hex": g.hexstr(8),
                    }
                    headers = {SIG: signature}
                    if name is not None:
                        headers[name] = [v.format(**fill) for v in value] if isinstance(value, list) \
                            else value.format(**fill)
                    out.append(make_case(
                        "s%04d" % (len(out) + 1), base, method, pq, url, content_type, body,
                        headers, token, [], dict(shared),
                        "settings: %s; %s signed by %s%s" % (variant, req_name, signer_name, order_name)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("TWILIO_DIFF_SEED", DEFAULT_SEED)))
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT, help="random base requests")
    args = ap.parse_args()

    g = Gen(args.seed)
    out = sys.stdout
    cases = known_cases()
    bases = [(c, {"kind": "json" if c["content_type"] == JSON_CT else "form", "mode": "auth",
                  "secret": c["auth_token"]}) for c in cases if not c["shared_keys"]]
    for n in range(1, args.count + 1):
        case, meta = random_case(g, "c%04d" % n)
        cases.append(case)
        bases.append((case, meta))
    # After the random draws, so that they stay the same for a seed.
    attacks = attack_cases() + settings_cases(args.seed)
    for case, meta in bases:
        wanted = g.weighted({0: 25, 1: 55, 2: 20})
        made = 0
        for _ in range(6):
            if made == wanted:
                break
            t = tamper(g, case, meta)
            if t is not None:
                made += 1
                t["id"] = "%s-t%d" % (case["id"], made)
                cases.append(t)
    cases += attacks
    for case in cases:
        out.write(json.dumps(case, ensure_ascii=False) + "\n")
    print("generated %d cases (%d random requests, seed %d)" % (len(cases), args.count, args.seed),
          file=sys.stderr)


if __name__ == "__main__":
    main()
