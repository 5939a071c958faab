#!/usr/bin/env python3
"""The external types of the public API, held against `.ci/external-types.txt`.

An equivalent of `cargo check-external-types` (which needs a pinned nightly)
over stable rustdoc's JSON (`RUSTC_BOOTSTRAP=1 cargo rustdoc -- -Z
unstable-options --output-format json`): from the crate's root, every public
item, the fields and variants of its public types, their impls that are
written out (not auto-trait or blanket ones) and the items of those impls
are walked, and every path they name that belongs to another crate than
this one and the standard library's is listed. Each listed type's release
is part of this crate's API: a major release of it is a breaking change
here. The check fails on a type missing from the allow-list (a new exposure)
and on an allowed type no longer exposed (a stale entry).

Usage: external_types.py RUSTDOC_JSON ALLOW_LIST
"""

import json
import sys

STANDARD = {"std", "core", "alloc"}


def main(json_path, allow_path):
    doc = json.load(open(json_path))
    index, paths = doc["index"], doc["paths"]
    crates = {int(k): v["name"] for k, v in doc["external_crates"].items()}

    def item(i):
        return index.get(str(i))

    def crate_of(i):
        entry = paths.get(str(i))
        if entry is None or entry["crate_id"] == 0:
            return None
        return crates.get(entry["crate_id"])

    exposed = {}  # path -> one public item that exposes it

    def walk(node, owner):
        """Every path to another crate named under `node`."""
        if isinstance(node, dict):
            if isinstance(node.get("path"), str) and isinstance(node.get("id"), int):
                crate = crate_of(node["id"])
                if crate is not None and crate not in STANDARD:
                    full = "::".join(paths[str(node["id"])]["path"])
                    exposed.setdefault(full, owner)
            for key, value in node.items():
                if key != "links":
                    walk(value, owner)
        elif isinstance(node, list):
            for value in node:
                walk(value, owner)

    def children(inner):
        """The ids of the items an item's API is made of."""
        kind, body = next(iter(inner.items()))
        if not isinstance(body, dict):
            return []
        out = []
        if kind == "module":
            out += body["items"]
        if kind in ("struct", "enum", "union", "primitive"):
            out += body.get("impls", [])
        if kind == "struct":
            shape = body["kind"]
            if isinstance(shape, dict) and "plain" in shape:
                out += shape["plain"]["fields"]
            elif isinstance(shape, dict) and "tuple" in shape:
                out += [f for f in shape["tuple"] if f is not None]
        if kind == "union":
            out += body["fields"]
        if kind == "enum":
            out += body["variants"]
        if kind == "variant":
            shape = body["kind"]
            if isinstance(shape, dict) and "struct" in shape:
                out += shape["struct"]["fields"]
            elif isinstance(shape, dict) and "tuple" in shape:
                out += [f for f in shape["tuple"] if f is not None]
        if kind in ("trait", "impl"):
            out += body["items"]
        return out

    seen = set()
    stack = [(doc["root"], "")]
    while stack:
        i, parent = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        it = item(i)
        if it is None:
            continue
        if it["visibility"] not in ("public", "default"):
            continue
        inner = it["inner"]
        if "impl" in inner:
            impl = inner["impl"]
            if impl.get("is_synthetic") or impl.get("blanket_impl") is not None:
                continue
            if impl.get("is_negative"):
                continue
        if "use" in inner:
            use = inner["use"]
            target = use.get("id")
            if target is not None and crate_of(target) is not None:
                if crate_of(target) not in STANDARD:
                    exposed.setdefault("::".join(paths[str(target)]["path"]), use["source"])
            elif target is not None:
                stack.append((target, parent))
            continue
        entry = paths.get(str(i))
        if entry is not None:
            label = "::".join(entry["path"])
        elif "impl" in inner:
            label = parent  # its items and bounds are the type's
        else:
            label = f"{parent}::{it.get('name')}"
        walk(inner, label)
        stack += [(child, label) for child in children(inner)]

    allowed = {}
    for line in open(allow_path):
        entry = line.split("#", 1)[0].strip()
        if entry:
            allowed[entry] = line
    found = sorted(exposed)
    print(f"{len(found)} external types in the public API:")
    for path in found:
        print(f"  {path}")
    new = [p for p in found if p not in allowed]
    stale = [p for p in allowed if p not in exposed]
    for path in new:
        print(f"not in {allow_path}: {path} (exposed by {exposed[path]})", file=sys.stderr)
    for path in stale:
        print(f"in {allow_path} but no longer exposed: {path}", file=sys.stderr)
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
