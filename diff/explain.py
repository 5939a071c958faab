#!/usr/bin/env python3
"""Explain verdicts: for each case, which secret, URL candidate and sort order matched.

Usage: explain.py EXPECTED_JSONL [ID ...]
With ids, explains those cases; without, every case where python and node disagree.
Also shows the URL the signature was made over and, if any, why tower-twilio refuses
the case on purpose (soundness.py).
Re-derives each library's candidate URLs (twilio-python: urlparse + port removed /
default port added; twilio-node 6.3.1: as received without/with port, then `new URL()`
without/with port, then each with the legacy querystring) and sort order (python:
code points = UTF-8 bytes; node: UTF-16 code units), and prints the ones whose
signature equals the request's. A debugging aid only: the verdicts themselves come
from the real libraries.
"""

import json
import sys
from urllib.parse import parse_qsl, urlparse

from gen_cases import (SETTINGS, SIG, add_port, byte_order, legacy_querystring, parse_form,
                       remove_port, sha256_hex, sign, signed_string, utf16_order, whatwg)


def python_candidates(url):
    parsed = urlparse(url)
    out = {}
    try:
        if parsed.port:
            out["py:port-removed"] = parsed._replace(netloc=parsed.netloc.split(":")[0]).geturl()
            out["py:port-kept"] = parsed.geturl()
        else:
            out["py:as-is"] = parsed.geturl()
            port = 443 if parsed.scheme == "https" else 80
            out["py:port-added"] = parsed._replace(netloc=parsed.netloc + ":%d" % port).geturl()
    except ValueError as e:
        out["py:error"] = str(e)
    return out


def node_candidates(url):
    normalized = whatwg(url)
    return {
        "node:port-removed": remove_port(url),
        "node:port-added": add_port(url),
        "node:whatwg": remove_port(normalized),
        "node:whatwg+port": add_port(normalized),
        "node:whatwg+legacy-qs": legacy_querystring(remove_port(normalized)),
        "node:whatwg+port+legacy-qs": legacy_querystring(add_port(normalized)),
    }


def _inputs(case):
    url = case["base_url"] + case["path_and_query"]
    headers = {k.lower(): ", ".join(v) if isinstance(v, list) else v
               for k, v in case["headers"].items()}
    secrets = {"auth_token": case["auth_token"]}
    secrets.update(("secondary[%d]" % i, t) for i, t in enumerate(case["secondary_tokens"]))
    secrets.update(("shared_key " + k, s) for k, s in case["shared_keys"].items())
    json_body = "bodySHA256" in url
    form = not json_body and case["method"] != "GET" and \
        case["content_type"].split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    params = parse_form(case["body"]) if form else []
    return url, headers, secrets, json_body, params


def matches(case):
    """(secret name, algorithm, sort order, candidate name, candidate URL) that reproduce
    the request's signature."""
    url, headers, secrets, _, params = _inputs(case)
    signature = headers.get(SIG, "")
    candidates = dict(python_candidates(url))
    candidates.update(node_candidates(url))
    hits = []
    for name, secret in secrets.items():
        for alg in ("HMAC_SHA1", "HMAC_SHA256"):
            for order_name, order in (("bytes", byte_order), ("utf16", utf16_order)):
                for cand_name, cand in candidates.items():
                    if sign(secret, signed_string(cand, params, order), alg) == signature:
                        hits.append((name, alg, order_name, cand_name, cand))
    return hits


def reason(case, hits=None):
    """Why only one of the libraries accepts a case (None when they agree)."""
    if case.get("python") == case.get("node"):
        return None
    hits = matches(case) if hits is None else hits
    url = case["base_url"] + case["path_and_query"]
    node_hits = [h for h in hits if h[3].startswith("node:")]
    if case["python"]:
        if any(h[2] == "bytes" for h in node_hits) and not any(h[2] == "utf16" for h in node_hits):
            return "python only: keys/values sorted by code point; twilio-node sorts UTF-16 code units"
        if url.endswith("?"):
            return "python only: urlparse().geturl() drops a bare '?', twilio-node keeps it"
        return "python only: other"
    if hits and all(h[2] == "utf16" for h in node_hits) and not any(h[2] == "bytes" for h in hits):
        return "node only: signed in UTF-16 code unit order (JavaScript sort)"
    names = {h[3] for h in node_hits if h[2] == "bytes"} or {h[3] for h in node_hits}
    if names and all(n.startswith("node:whatwg") for n in names):
        if all("legacy-qs" in n for n in names):
            return "node only: new URL() + legacy querystring re-encoding of the query"
        return "node only: new URL() normalized URL (percent-encoding, dot segments, host case, default port)"
    if url.endswith("?"):
        return "node only: bare '?' kept (python's geturl drops it)"
    if case["base_url"].split("://", 1)[1].startswith("["):
        return "node only: IPv6 host (python's remove_port cuts the netloc at the first ':')"
    return "node only: other (" + ",".join(sorted(names)) + ")"


def explain(case):
    url, headers, _, json_body, _ = _inputs(case)
    settings = headers.get(SETTINGS)
    lines = ["%s python=%s node=%s expected=%s" % (case["id"], case.get("python"), case.get("node"),
                                                  case.get("expected")),
             "  note: " + case["note"], "  url: " + url]
    if "signed_url" in case:
        lines.append("  signed over: " + case["signed_url"])
    if case.get("refusal"):
        lines.append("  refusal (soundness.py): " + case["refusal"])
    if settings:
        lines.append("  settings: " + settings)
    if json_body:
        query = dict(parse_qsl(urlparse(url).query, keep_blank_values=True))
        lines.append("  body hash %s" % ("matches" if query.get("bodySHA256") == sha256_hex(case["body"])
                                         else "DIFFERS"))
    hits = matches(case)
    lines += ["  matches: %s %s order=%s %s = %s" % h for h in hits] or \
        ["  matches: none of the candidates"]
    why = reason(case, hits)
    if why:
        lines.append("  reason: " + why)
    return "\n".join(lines)


def main():
    path, ids = sys.argv[1], set(sys.argv[2:])
    with open(path, encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            if case["id"] in ids or (not ids and case.get("python") != case.get("node")):
                print(explain(case))


if __name__ == "__main__":
    main()
