#!/usr/bin/env python3
"""Pick a small, varied sample of merged cases for tests/data/differential-cases.jsonl.

Usage: snapshot.py EXPECTED_JSONL OUT [--size N]
Keeps every known-vector case, then round-robins over note categories (kind, secret,
URL variant, sort order, tamper, settings-header variant, whether python and node agree, and the reason of a
deliberate refusal) so that every category seen in the full run, and every kind of
deliberate refusal, is in the snapshot. Deterministic.
"""

import argparse
import collections
import json

from merge import category


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=360)
    args = ap.parse_args()

    with open(args.expected, encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    chosen = [c for c in cases if c["id"][0] in "ka"]
    groups = collections.OrderedDict()
    for c in cases:
        if c["id"][0] not in "ka":
            agree = "agree" if c["python"] == c["node"] else "python" if c["python"] else "node"
            deliberate = c["refusal"] if c["python"] or c["node"] else None
            # A settings-header case's category is its variant ("settings: two headers").
            kind = c["note"].split(";")[0] if c["id"][0] == "s" else category(c["note"])
            groups.setdefault((kind, agree, c["expected"], deliberate), []).append(c)
    # Rarest categories first, so that a small size still covers them.
    queues = sorted(groups.values(), key=len)
    while len(chosen) < args.size and any(queues):
        for q in queues:
            if q and len(chosen) < args.size:
                chosen.append(q.pop(0))
    order = {c["id"]: n for n, c in enumerate(cases)}
    chosen.sort(key=lambda c: order[c["id"]])
    with open(args.out, "w", encoding="utf-8") as out:
        for c in chosen:
            out.write(json.dumps(c, ensure_ascii=False) + "\n")
    refused = collections.Counter(c["refusal"] for c in chosen if c["refusal"] and (c["python"] or c["node"]))
    print("snapshot: %d cases (%d accepted, %d deliberate refusals: %s) -> %s"
          % (len(chosen), sum(c["expected"] for c in chosen), sum(refused.values()),
             ", ".join("%d %s" % (n, why) for why, n in sorted(refused.items())), args.out))


if __name__ == "__main__":
    main()
