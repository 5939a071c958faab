"""Fails when a crate that tower-twilio builds (normal and build dependencies,
with the features named in the first argument, on this platform) declares a
rust-version above the crate's own.

Run where Cargo.lock was resolved for the crate's rust-version
(CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback); `.ci/run` does.
"""
import json
import subprocess
import sys

meta = json.loads(
    subprocess.check_output(
        [
            "cargo", "metadata", "--format-version", "1", "--features", sys.argv[1], "--locked",
            "--filter-platform", subprocess.check_output(
                ["rustc", "-vV"], text=True).split("host: ")[1].split()[0],
        ],
        text=True,
    )
)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = next(p for p in meta["packages"] if p["name"] == "tower-twilio")


def version(v):
    return tuple(int(x) for x in (v or "0").split(".")) + (0,) * (3 - len((v or "0").split(".")))


msrv = version(root["rust_version"])
seen, todo = set(), [root["id"]]
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if kinds - {"dev"} and dep["pkg"] not in seen:
            seen.add(dep["pkg"])
            todo.append(dep["pkg"])

above = sorted(
    f'{packages[i]["name"]} {packages[i]["version"]} (rust-version {packages[i]["rust_version"]})'
    for i in seen
    if version(packages[i]["rust_version"]) > msrv
)
print(f'{len(seen)} crates built by tower-twilio; rust-version {root["rust_version"]}')
if above:
    print("declare a higher rust-version:\n  " + "\n  ".join(above))
    sys.exit(1)
