#!/usr/bin/env python3
"""Merge cases with the python and node verdicts into the expected-results file.

Usage: merge.py CASES PYTHON_VERDICTS NODE_VERDICTS OUT
Each output line is the case plus "python", "node", "refusal" (why tower-twilio refuses
the case on purpose whatever the libraries say, see soundness.py, or null) and
"expected" ((python or node) and no refusal). Prints counts to stderr, with the
deliberate refusals (a library accepts, the crate refuses) per reason; fails if a
verdict is missing.
"""

import collections
import json
import re
import sys

from explain import reason
from soundness import refusal


def read_verdicts(path, field):
    verdicts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                v = json.loads(line)
                verdicts[v["id"]] = v[field]
    return verdicts


def category(note):
    """The parts of a note that explain a verdict, without the case-specific detail."""
    tamper = re.search(r"tamper=([\w-]+)", note)
    url = re.search(r"url=([\w+-]+)", note)
    secret = re.search(r"secret=([\w-]+)", note)
    parts = [note.split(" ")[0] if not note.startswith("known") else "known-vector"]
    parts += [m.group(1) for m in (secret, url) if m]
    if "UTF-16" in note:
        parts.append("utf16-order")
    if tamper:
        parts.append("tamper=" + tamper.group(1))
    return " ".join(parts)


def main():
    cases_path, python_path, node_path, out_path = sys.argv[1:5]
    python = read_verdicts(python_path, "python")
    node = read_verdicts(node_path, "node")
    counts = collections.Counter()
    disagreements = collections.Counter()
    deliberate = collections.Counter()
    with open(cases_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            case = json.loads(line)
            if case["id"] not in python or case["id"] not in node:
                sys.exit("no verdict for case %s" % case["id"])
            case["python"] = python[case["id"]]
            case["node"] = node[case["id"]]
            case["refusal"] = refusal(case)
            case["expected"] = (case["python"] or case["node"]) and case["refusal"] is None
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
            counts["cases"] += 1
            counts["python accepts"] += case["python"]
            counts["node accepts"] += case["node"]
            counts["expected accepts"] += case["expected"]
            if (case["python"] or case["node"]) and case["refusal"] is not None:
                counts["deliberate refusals"] += 1
                deliberate[case["refusal"]] += 1
            if case["python"] != case["node"]:
                counts["python != node"] += 1
                disagreements[reason(case)] += 1
    err = sys.stderr
    print("differential cases: %(cases)d; accepted by python: %(python accepts)d, by node: "
          "%(node accepts)d, expected (either, no deliberate refusal): %(expected accepts)d; "
          "python and node disagree on %(python != node)d" % counts, file=err)
    for why, n in sorted(disagreements.items()):
        print("  %4d  %s" % (n, why), file=err)
    print("deliberate refusals (a library accepts, tower-twilio refuses, soundness.py): %d"
          % counts["deliberate refusals"], file=err)
    for why, n in sorted(deliberate.items()):
        print("  %4d  %s" % (n, why), file=err)


if __name__ == "__main__":
    main()
