#!/usr/bin/env bash
# The statistical models of `segment` on two 2D images: ITK's BrainT1Slice (4 classes) and a Dubai aerial tile
# (RGB, 5 classes), EM to convergence. Writes the overlays side by side (gmm | hmrf | hmc) and the seconds per run to
# Documentation/Results/TissueModels2D-{brain,dubai}.png and TissueModels2D.csv.
# Usage: run-tissue-models-2d.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tessera="${1:-$root/build}/Applications/tessera"
out="$root/Documentation/Results"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "image,model,classes,seconds" > "$work/times.csv"
while read -r name image classes; do
  for model in gmm hmrf hmc; do
    start=$(date +%s%N)
    "$tessera" segment -q --classes "$classes" -i "$image" --model "$model" --em-tolerance 1e-6 --em-iterations 1000 \
      -o "$work/$name-$model.png" --overlay "$work/$name-$model-overlay.png"
    echo "$name,$model,$classes,$(( ($(date +%s%N) - start) / 1000000 ))e-3" >> "$work/times.csv"
  done
  /usr/bin/python3 - "$work/$name" "$out/TissueModels2D-$name.png" <<'PY'
import sys
from PIL import Image, ImageDraw
prefix, target = sys.argv[1:3]
panels = [Image.open(f"{prefix}-{m}-overlay.png").convert("RGB") for m in ("gmm", "hmrf", "hmc")]
scale = min(1.0, 400 / panels[0].width)
w, h = int(panels[0].width * scale), int(panels[0].height * scale)
sheet = Image.new("RGB", (3 * w + 20, h + 18), "white")
for i, (panel, title) in enumerate(zip(panels, ("gmm", "hmrf", "hmc"))):
    sheet.paste(panel.resize((w, h)), (i * (w + 10), 18))
    ImageDraw.Draw(sheet).text((i * (w + 10) + 4, 3), title, fill="black")
sheet.save(target)
PY
done <<LIST
brain /usr/share/doc/insighttoolkit5-examples/examples/Data/BrainT1Slice.png 4
dubai $root/../shared/data/dubai-aerial/tile1/images/image_part_001.jpg 5
LIST
cp "$work/times.csv" "$out/TissueModels2D.csv"
cat "$out/TissueModels2D.csv"
