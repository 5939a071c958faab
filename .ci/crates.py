"""Fails when tower-twilio's normal dependency tree (with the committed lockfile)
holds more distinct crates than the limits below, with default features and with
none. The count includes tower-twilio itself.

The limits: at most 50 crates with default features and 30 without, the
dependencies of a middleware of tower-http's class.
"""
import subprocess
import sys

LIMITS = {"default features": ([], 50), "no default features": (["--no-default-features"], 30)}

failed = False
for name, (flags, limit) in LIMITS.items():
    tree = subprocess.check_output(
        ["cargo", "tree", "--locked", "-e", "normal", "-p", "tower-twilio", "--prefix", "none"]
        + flags,
        text=True,
    )
    crates = {" ".join(line.split()[:2]) for line in tree.splitlines() if line.strip()}
    print(f"{len(crates)} normal crates with {name} (limit {limit})")
    if len(crates) > limit:
        failed = True
if failed:
    sys.exit(1)
