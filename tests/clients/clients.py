#!/usr/bin/env python3
"""Real HTTP clients against the example server, over loopback.

Usage: clients.py <digest|basic> <base url> <auth token> <user> <password>

Every request carries a valid X-Twilio-Signature computed by twilio-python. Checks:
curl (--digest or --basic) gets 200, and 401 with a wrong password; python-requests
(HTTPDigestAuth, or HTTPBasicAuth) gets 200 on several requests in one session (for
Digest: one nonce, rising nc), and 401 with a wrong password; with Digest, 100
concurrent python-requests clients all get 200. Prints 'N passed, N failed'.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from twilio.request_validator import RequestValidator

scheme, base, token, user, password = sys.argv[1:6]
validator = RequestValidator(token)
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail), flush=True)


def form(i):
    return {"CallSid": "CA%032d" % i, "From": "+14155550100", "Body": "héllo & bye %d" % i}


def signed_headers(path, params):
    return {"X-Twilio-Signature": validator.compute_signature(base + path, params)}


def curl(pw, i):
    params = form(i)
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--" + scheme, "-u", user + ":" + pw]
    for k, v in params.items():
        args += ["--data-urlencode", k + "=" + v]
    for k, v in signed_headers("/voice", params).items():
        args += ["-H", k + ": " + v]
    return subprocess.run(args + [base + "/voice"], capture_output=True, text=True).stdout


def requests_auth(pw):
    # requests encodes a str Basic password as Latin-1; the server announces UTF-8.
    return HTTPDigestAuth(user, pw) if scheme == "digest" else HTTPBasicAuth(user, pw.encode())


def session_run(pw, n, offset=0):
    """n signed POSTs in one session; returns the status codes."""
    s = requests.Session()
    s.auth = requests_auth(pw)
    codes = []
    for i in range(n):
        params = form(offset + i)
        r = s.post(base + "/voice", data=params, headers=signed_headers("/voice", params), timeout=10)
        codes.append(r.status_code)
    return codes


code = curl(password, 1)
check("curl --%s with the right password gets 200" % scheme, code == "200", code)
code = curl("wrong", 2)
check("curl --%s with a wrong password gets 401" % scheme, code == "401", code)

codes = session_run(password, 5)
check("python-requests session of 5 requests all get 200", codes == [200] * 5, str(codes))
codes = session_run("wrong", 1)
check("python-requests with a wrong password gets 401", codes == [401], str(codes))

unsigned = requests.post(base + "/voice", data=form(3), auth=requests_auth(password), timeout=10)
check("right password without a signature gets 403", unsigned.status_code == 403, str(unsigned.status_code))

if scheme == "digest":
    with ThreadPoolExecutor(max_workers=100) as pool:
        runs = list(pool.map(lambda k: session_run(password, 3, offset=1000 * k), range(100)))
    flat = [c for run in runs for c in run]
    check("100 concurrent Digest clients x 3 requests all get 200", flat == [200] * 300,
          "%d of 300 were 200" % flat.count(200))

passed = sum(results)
print("%d passed, %d failed" % (passed, len(results) - passed))
sys.exit(0 if all(results) else 1)
