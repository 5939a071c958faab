"""Fails when the files of a checked folder import each other in a circle.

Files import downward (tower-http's layout): `layer.rs` above `service.rs`
above `future.rs`, with what they share in modules below all of them. A file
uses a sibling through `use super::NAME`, `super::NAME::...`,
`crate::FOLDER::NAME` or `use super::{NAME, ...}`; `mod.rs`, which gathers the
folder, is left out, and so is `super` in the inline modules of a file
(`mod tests { ... }`), where it names the file itself. Prints each circle; exits 1 if one is in a
folder of CHECKED. The folders of REPORTED are printed only.
"""
import re
import sys
from pathlib import Path

CHECKED = ["src/validate", "src/replay"]
REPORTED = []


def edges(folder):
    files = {p.stem: p for p in Path(folder).glob("*.rs") if p.name != "mod.rs"}
    crate_path = "crate::" + "::".join(Path(folder).parts[1:])
    graph = {name: set() for name in files}
    sibling = r"::(?:\{([^}]*)\}|(\w+))"
    reference = re.compile(r"(?:\bsuper|" + re.escape(crate_path) + r")" + sibling)
    absolute = re.compile(re.escape(crate_path) + sibling)
    for name, path in files.items():
        inline = None  # the indentation of the inline module we are in
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("//"):
                continue
            indent = len(line) - len(stripped)
            if inline is not None and stripped.startswith("}") and indent == inline:
                inline = None
                continue
            if inline is None and re.match(r"(pub(\([a-z]+\))? )?mod \w+ \{", stripped):
                inline = indent
                continue
            # In an inline module `super` is the file itself: only the
            # absolute paths name a sibling there.
            for group, single in (reference if inline is None else absolute).findall(line):
                targets = [single] if single else re.findall(r"\b(\w+)\b(?:::|\s*[,}]|$)", group)
                for target in targets:
                    if target in files and target != name:
                        graph[name].add(target)
    return graph


def cycles(graph):
    """The strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


failed = False
for folder in CHECKED + REPORTED:
    graph = edges(folder)
    for component in cycles(graph):
        inner = {v: sorted(graph[v] & set(component)) for v in component}
        links = "; ".join(f"{v}.rs -> {', '.join(w + '.rs' for w in ws)}" for v, ws in inner.items())
        kind = "import circle" if folder in CHECKED else "import circle (reported, not checked yet)"
        print(f"{folder}: {kind}: {links}")
        failed |= folder in CHECKED
if failed:
    sys.exit(1)
print("no import circle in " + ", ".join(CHECKED))
