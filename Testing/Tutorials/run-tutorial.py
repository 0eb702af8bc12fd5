#!/usr/bin/env python3
"""Runs every ```sh block of a tutorial page, in order, as one bash script in a fresh temporary
folder, and fails on the first command that fails; the page's figures must come from those
commands.

  run-tutorial.py PAGE --tessera TESSERA --data DATA [--figures DIR]

The commands find `tessera` on PATH (the folder of TESSERA first), the real data in $DATA
(../shared/data beside the source tree) and the source tree in $TESSERA_SOURCE (atlas
descriptions, tables). Every image the page embeds as `figures/NAME.png` must be written by the
commands as NAME.png in the working folder; with --figures DIR they are copied into DIR
(Documentation/Tutorials/figures), so the committed figures are the tested commands' outputs."""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("page", type=pathlib.Path)
parser.add_argument("--tessera", required=True, type=pathlib.Path)
parser.add_argument("--data", required=True, type=pathlib.Path)
parser.add_argument("--figures", type=pathlib.Path, help="copy the page's figures here")
parser.add_argument("--keep", action="store_true", help="keep the working folder")
args = parser.parse_args()

if not (args.data / "README.md").is_file():
    print(f"skipped: no data in {args.data}")
    sys.exit(77)  # CTest's SKIP_RETURN_CODE
text = args.page.read_text()
blocks = re.findall(r"^```sh\n(.*?)^```$", text, re.S | re.M)
if not blocks:
    sys.exit(f"{args.page}: no ```sh blocks")
figures = re.findall(r"\]\(figures/([^)\s]+\.png)\)", text)
source = pathlib.Path(__file__).resolve().parent.parent.parent

work = pathlib.Path(tempfile.mkdtemp(prefix="tessera-tutorial-" + args.page.stem + "-"))
env = dict(os.environ, DATA=str(args.data.resolve()), TESSERA_SOURCE=str(source),
           PATH=str(args.tessera.resolve().parent) + os.pathsep + os.environ["PATH"])
started = time.monotonic()
# One shell for the whole page, as a reader pasting the blocks in turn: variables carry over.
script = "".join(f"echo '--- {args.page.name}, block {n} of {len(blocks)}'\n{b}" for n, b in enumerate(blocks, 1))
r = subprocess.run(["bash", "-euo", "pipefail", "-x", "-c", script], cwd=work, env=env)
if r.returncode != 0:
    sys.exit(f"{args.page}: a command failed with exit status {r.returncode} (the last one above; "
             f"working folder {work})")
missing = [f for f in figures if not (work / f).is_file()]
if missing:
    sys.exit(f"{args.page}: the commands wrote no {', '.join(missing)} (figures the page embeds)")
if args.figures:
    args.figures.mkdir(parents=True, exist_ok=True)
    for f in figures:
        shutil.copyfile(work / f, args.figures / f)
    print(f"copied {len(figures)} figures to {args.figures}")
print(f"{args.page.name}: {len(blocks)} blocks ran in {time.monotonic() - started:.1f} s")
if not args.keep:
    shutil.rmtree(work)
