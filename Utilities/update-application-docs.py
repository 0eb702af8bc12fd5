#!/usr/bin/env python3
"""Keeps the option tables of Documentation/Applications/*.md equal to what the stage registry
generates (`tessera stages --markdown NAME`), so docs, --help and pipeline keys never drift.

  update-application-docs.py TESSERA          rewrite the tables in place
  update-application-docs.py --check TESSERA  exit 1 (naming the page) if a table differs or a
                                              stage has no page
A table sits between '<!-- options: NAME -->' and '<!-- end options -->' in the stage's page
(Documentation/Applications/NAME.md, a space in NAME giving a dash: knn-train.md)."""
import pathlib
import re
import subprocess
import sys

check = "--check" in sys.argv
tessera = [a for a in sys.argv[1:] if a != "--check"][0]
pages = pathlib.Path(__file__).resolve().parent.parent / "Documentation" / "Applications"
listing = subprocess.run([tessera, "stages"], check=True, capture_output=True, text=True).stdout
stages = [line.split(":")[0] for line in listing.splitlines() if line and not line.startswith(" ")]
block = re.compile(r"<!-- options: (.+?) -->\n.*?<!-- end options -->\n", re.S)
stale = []
for stage in stages:
    table = subprocess.run([tessera, "stages", "--markdown", stage], check=True, capture_output=True, text=True).stdout
    wanted = f"<!-- options: {stage} -->\n{table}<!-- end options -->\n"
    page = pages / (stage.replace(" ", "-") + ".md")
    text = page.read_text() if page.exists() else f"# `tessera {stage}`\n\n"
    found = [m for m in block.finditer(text) if m.group(1) == stage]
    if found and found[0].group(0) == wanted:
        continue
    stale.append(str(page))
    if not check:
        if found:
            text = text[: found[0].start()] + wanted + text[found[0].end():]
        else:
            text = text.rstrip("\n") + "\n\n## Options\n\n" + wanted
        page.write_text(text)
if check and stale:
    print("option tables differ from the stage registry (run Utilities/update-application-docs.py): " + ", ".join(stale))
    sys.exit(1)
print(("checked " if check else "updated ") + f"{len(stages)} stages" + ("" if check else f", {len(stale)} pages rewritten"))
