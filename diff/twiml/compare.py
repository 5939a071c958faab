"""Compares the TwiML documents this crate built with those twilio-python
and twilio-node built from the same cases (diff/twiml/cases.json).

Each document is parsed (an XML 1.0 parser: Python's expat) and compared as
a tree: element names, attributes (order ignored), text. A difference fails
the run unless diff/twiml/known.json lists it, with its reason, by library
and case id.

Usage: python3 diff/twiml/compare.py RUST.jsonl PYTHON.jsonl NODE.jsonl
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    return {d["id"]: d for d in map(json.loads, open(path, encoding="utf-8"))}


def tree(xml):
    def walk(el):
        return (el.tag, tuple(sorted(el.attrib.items())), el.text or "",
                tuple((walk(c), c.tail or "") for c in el))
    return walk(ET.fromstring(xml.encode("utf-8")))


def first_difference(a, b, path="Response"):
    if a[0] != b[0]:
        return f"{path}: element {a[0]} against {b[0]}"
    if a[1] != b[1]:
        return f"{path}: attributes {dict(a[1])} against {dict(b[1])}"
    if a[2] != b[2]:
        return f"{path}: text {a[2]!r} against {b[2]!r}"
    if len(a[3]) != len(b[3]):
        return f"{path}: {len(a[3])} children against {len(b[3])}"
    for (ca, ta), (cb, tb) in zip(a[3], b[3]):
        d = first_difference(ca, cb, f"{path}/{ca[0]}")
        if d:
            return d
        if ta != tb:
            return f"{path}/{ca[0]}: tail {ta!r} against {tb!r}"
    return None


def main():
    rust, python, node = (load(p) for p in sys.argv[1:4])
    known = json.load(open(os.path.join(HERE, "known.json"), encoding="utf-8"))["differences"]
    listed = {(k["library"], case): k["reason"] for k in known for case in k["cases"]}
    failures, explained, same = [], 0, 0
    for case_id, ours in sorted(rust.items()):
        mine = tree(ours["xml"])
        for library, theirs in (("twilio-python", python), ("twilio-node", node)):
            other = theirs.get(case_id)
            if other is None:
                failures.append(f"{case_id}: {library} built nothing")
                continue
            if "error" in other:
                diff = f"{library} refused: {other['error']}"
            else:
                try:
                    diff = first_difference(mine, tree(other["xml"]))
                except ET.ParseError as e:
                    diff = f"{library}'s document does not parse: {e}"
            if diff is None:
                same += 1
            elif (library, case_id) in listed:
                explained += 1
            else:
                failures.append(f"{case_id} against {library}: {diff}")
    print(f"TwiML differential: {len(rust)} documents, {same} comparisons equal, "
          f"{explained} listed differences, {len(failures)} unexplained")
    for f in failures:
        print("  " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
