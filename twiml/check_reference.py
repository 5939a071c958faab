#!/usr/bin/env python3
"""Checks twiml/vocabulary.json against the official libraries' builders, as
a reference for facts (names, nesting, attribute names and enum values):
twilio-node 6.3.1's type declarations (diff/twiml/node_modules) and
twilio-python 9.13.0's classes (installed by pip). Prints each disagreement
and fails on one, so that a library release with a new verb or attribute
shows what to add to the data.

    python3 twiml/check_reference.py
"""
import inspect
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(ROOT, "diff", "twiml", "node_modules", "twilio", "lib", "twiml")


def node_reference(path):
    """Classes with their child methods and attribute interfaces, enum types."""
    src = open(path, encoding="utf-8").read()
    types = {m.group(1): re.findall(r'"([^"]*)"', m.group(2))
             for m in re.finditer(r"type (\w+) = ([^;]+);", src)}
    ifaces = {}
    for m in re.finditer(r"interface (\w+)Attributes \{(.*?)\n\s*\}", src, re.S):
        props = {p.group(1): p.group(2) for p in
                 re.finditer(r'\n\s*"?([\w:-]+)"?\??: ([\w\[\]]+);', m.group(2))}
        ifaces.setdefault(m.group(1), props)
    classes = {}
    for m in re.finditer(r"(?:declare |export )?class (\w+) extends TwiML \{(.*?)\n\s*\}", src, re.S):
        children = {}
        for mm in re.finditer(r"\n\s*(\w+)\((.*?)\): (?:\w+)\.(\w+);", m.group(2)):
            iface = re.search(r"\w+\.(\w+)Attributes", mm.group(2))
            children.setdefault(mm.group(1), (mm.group(3), None))
            if iface:
                children[mm.group(1)] = (mm.group(3), iface.group(1))
        classes[m.group(1)] = children
    return types, ifaces, classes


def main():
    vocab = json.load(open(os.path.join(ROOT, "twiml", "vocabulary.json"), encoding="utf-8"))
    problems = []
    roots = {"voice": ("VoiceResponse.d.ts", "VoiceResponse", "voice_response"),
             "messaging": ("MessagingResponse.d.ts", "MessagingResponse", "messaging_response")}
    for resp in vocab["responses"]:
        dts, root, pymod = roots[resp["module"]]
        types, ifaces, classes = node_reference(os.path.join(NODE, dts))
        els = {e["type"]: e for e in resp["elements"]}
        node_names = {("Response" if c == root else c) for c in classes}
        for missing in sorted(node_names - set(els)):
            problems.append(f"{resp['module']}: twilio-node has {missing}, the vocabulary does not")
        for extra in sorted(set(els) - node_names):
            problems.append(f"{resp['module']}: the vocabulary has {extra}, twilio-node does not")
        # Each element's children, and the attributes of the child each method adds.
        for cls, children in classes.items():
            t = "Response" if cls == root else cls
            if t not in els:
                continue
            ours = {c["method"]: c["type"] for c in els[t]["children"]}
            theirs = {m: c for m, (c, _) in children.items()}
            if ours != theirs:
                problems.append(f"{t}: children {sorted(ours.items())} against twilio-node's {sorted(theirs.items())}")
            for method, (child, iface) in children.items():
                if child not in els:
                    continue
                want = ifaces.get(iface, {}) if iface else {}
                have = {a["name"]: a for a in els[child]["attributes"]}
                if set(want) != set(have):
                    problems.append(f"{child}: attributes {sorted(set(have) ^ set(want))} differ from twilio-node's")
                for name, ts in want.items():
                    a = have.get(name)
                    if a and a["kind"] == "enum" and types.get(ts.rstrip("[]")) != a["values"]:
                        problems.append(f"{child}.{name}: values differ from twilio-node's {ts}")
        # twilio-python: each class's XML name, and the attributes its builder method takes.
        try:
            module = __import__(f"twilio.twiml.{pymod}", fromlist=["x"])
        except ImportError:
            problems.append("twilio-python is not installed")
            continue
        for t, e in els.items():
            cls = getattr(module, root if t == "Response" else t, None)
            if cls is None:
                if not e.get("reference", "").startswith("twilio-node 6.3.1 only"):
                    problems.append(f"{t}: twilio-python has no class for it")
                continue
            for c in e["children"]:
                py = re.sub(r"([A-Z])", r"_\1", c["method"]).lower()
                py = {"break": "break_"}.get(py, py)
                meth = getattr(cls, py, None)
                if meth is None and els[c["type"]].get("reference", "").startswith("twilio-node 6.3.1 only"):
                    continue
                if meth is None:
                    problems.append(f"{t}.{c['method']}: twilio-python has no {py}()")
                    continue
                params = [p for p in inspect.signature(meth).parameters if p not in ("self", "kwargs")]
                attrs = {a["name"] for a in els[c["type"]]["attributes"]
                         if not a.get("reference", "").startswith("twilio-node 6.3.1 only")}
                camel = {re.sub(r"_(\w)", lambda m: m.group(1).upper(),
                                {"from_": "from", "xml_lang": "xml:lang", "interpret_as": "interpret-as",
                                 "for_": "for"}.get(p, p)) for p in params}
                if not attrs <= camel:
                    problems.append(f"{c['type']} under {t}: twilio-python's {py}() lacks {sorted(attrs - camel)}")
    for p in problems:
        print(p)
    print(f"vocabulary against twilio-node and twilio-python: {len(problems)} disagreements")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
