#!/usr/bin/env python3
"""Verdicts of twilio-python (RequestValidator) for the differential test cases.

Reads cases (JSON lines, see gen_cases.py) on stdin and writes one line per case:
{"id": ..., "python": true|false}. Each request is handed to the library the way a
Flask/Django app would: the public URL (base_url + path_and_query), the form
parameters as a multi-dict with getlist(), or for a URL carrying bodySHA256 the raw
body string (a GET or HEAD without a body hands the empty form instead, as an app
reading request.form does); the algorithm from get_signature_algorithm() of the
settings header. A header sent twice is joined by ",", as WSGI servers (gunicorn,
werkzeug) and Django join a repeated header. With a settings header the app tries
each shared key it has (the library reads no key id); without one, its tokens.
"""

import json
import logging
import sys
from urllib.parse import parse_qs, parse_qsl, urlparse

from twilio.request_validator import RequestValidator, get_signature_algorithm

FORM = "application/x-www-form-urlencoded"

# The library warns of every unknown algorithm; the verdict (False) is what counts.
logging.getLogger("twilio.request_validator").setLevel(logging.ERROR)


class MultiDict:
    """The part of Django's QueryDict / Werkzeug's MultiDict that RequestValidator uses."""

    def __init__(self, pairs):
        self._lists = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def __iter__(self):
        return iter(self._lists)

    def __len__(self):
        return len(self._lists)

    def __contains__(self, key):
        return key in self._lists

    def __getitem__(self, key):
        return self._lists[key][-1]

    def getlist(self, key):
        return list(self._lists[key])


def header(case, name):
    for key, value in case["headers"].items():
        if key.lower() == name:
            return ",".join(value) if isinstance(value, list) else value
    return None


def media_type(case):
    return case["content_type"].split(";")[0].strip().lower()


def verdict(case):
    url = case["base_url"] + case["path_and_query"]
    signature = header(case, "x-twilio-signature") or ""
    settings = header(case, "x-twilio-webhooks-signature-settings")

    bodyless = case["method"] in ("GET", "HEAD") and not case["body"]
    if "bodySHA256" in parse_qs(urlparse(url).query, keep_blank_values=True) and not bodyless:
        params = case["body"]
    elif case["method"] != "GET" and media_type(case) == FORM:
        params = MultiDict(parse_qsl(case["body"], keep_blank_values=True))
    else:
        params = {}

    if settings:
        algorithm = get_signature_algorithm(settings)
        secrets = list(case["shared_keys"].values())
    else:
        algorithm = None
        secrets = [case["auth_token"]] + case["secondary_tokens"]

    for secret in secrets:
        try:
            if RequestValidator(secret).validate(url, params, signature, algorithm=algorithm):
                return True
        except Exception:
            pass
    return False


def main():
    for line in sys.stdin:
        if line.strip():
            case = json.loads(line)
            sys.stdout.write(json.dumps({"id": case["id"], "python": verdict(case)}) + "\n")


if __name__ == "__main__":
    main()
