#!/bin/bash
# Large inputs through `tessera segment` (GMM + Potts alpha-expansion): an 8000×8000 RGB aerial image and a
# 512×512×300 brain volume, wall time and peak resident memory per pixel/voxel (GNU time), into
# Documentation/Benchmarks/LargeImages.md. The inputs are made from real data, resampled (bilinear / trilinear),
# and written as uncompressed MetaImage so that the figures are the method's, not gzip's.
#   Testing/Benchmarks/run-large-images-benchmark.sh [build-folder]
set -euo pipefail
source "$(dirname "$0")/large-images-common.sh"

/usr/bin/python3 - "$data" "$scratch" <<'EOF'
import sys
import nibabel, numpy as np
from PIL import Image
from scipy import ndimage

data, out = sys.argv[1:3]

def write_mha(path, array, spacing, channels=1):
    """array indexed [z, y, x(, c)] (C order), written x fastest as MetaImage expects."""
    kind = {np.dtype(np.uint8): "MET_UCHAR", np.dtype(np.float32): "MET_FLOAT"}[array.dtype]
    dims = array.shape[:array.ndim - (channels > 1)][::-1]
    with open(path, "wb") as f:
        f.write((f"ObjectType = Image\nNDims = {len(dims)}\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
                 f"ElementSpacing = {' '.join(map(str, spacing))}\nDimSize = {' '.join(map(str, dims))}\n"
                 f"ElementNumberOfChannels = {channels}\nElementType = {kind}\nElementDataFile = LOCAL\n").encode())
        f.write(np.ascontiguousarray(array).tobytes())

aerial = Image.open(f"{data}/dubai-aerial/tile7/images/image_part_001.jpg").convert("RGB")
big = np.asarray(aerial.resize((8000, 8000), Image.BILINEAR))
write_mha(f"{out}/aerial-8000.mha", big, (1.0, 1.0), channels=3)

t1 = nibabel.load(f"{data}/miccai2012-multiatlas/1000_SS.nii.gz")
mask = nibabel.load(f"{data}/miccai2012-multiatlas/1000_mask.nii.gz")
volume = np.asanyarray(t1.dataobj).astype(np.float32)  # [x, y, z]
target = (512, 512, 300)
zoom = [t / s for t, s in zip(target, volume.shape)]
spacing = [float(z0) / z for z0, z in zip(t1.header.get_zooms()[:3], zoom)]
brain = ndimage.zoom(volume, zoom, order=1)
inside = ndimage.zoom(np.asanyarray(mask.dataobj).astype(np.uint8), zoom, order=0)
write_mha(f"{out}/brain-512x512x300.mha", brain.transpose(2, 1, 0), spacing)
write_mha(f"{out}/brain-512x512x300-mask.mha", inside.transpose(2, 1, 0), spacing)
print(f"inputs: 8000x8000 RGB, {target} brain with {int(inside.sum())} voxels in its mask", flush=True)
EOF

run() { # name, pixels, command...
  local name=$1 pixels=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" > "$scratch/stdout.txt"
  read -r seconds kib < "$scratch/time.txt"
  echo "| $name | $pixels | $seconds | $((kib / 1024)) | $(/usr/bin/python3 -c "print(f'{$kib * 1024 / $pixels:.0f}')") | $(tail -n 1 "$scratch/stdout.txt") |"
}

{
  echo "# Large images through segment"
  echo
  echo "\`tessera segment\` (k-means → GMM-EM → Potts alpha-expansion, 3 classes, smoothness 0.5) on inputs too large"
  echo "for its earlier graph (about 250–300 bytes per pixel: 4000² RGB took 4.1 GB, 8000² failed at 15.8 GB, a"
  echo "512×512×300 volume did not fit in 24 GB). Inputs are real data resampled: Dubai aerial tile 7 to"
  echo "8000×8000 RGB (bilinear), MICCAI 2012 subject 1000 to 512×512×300 (trilinear, mask nearest), uncompressed"
  echo "MetaImage in and out. Peak memory is the whole process's (GNU time), input and output images included."
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "$(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
  echo "commit $(git -C "$root" rev-parse --short HEAD). Reproduce: \`Testing/Benchmarks/run-large-images-benchmark.sh\`."
  echo
  echo "| input | pixels/voxels | seconds | peak MiB | bytes per pixel | last line printed |"
  echo "|---|---|---|---|---|---|"
  run "8000×8000 RGB aerial" 64000000 "$tessera" segment -i "$scratch/aerial-8000.mha" -o "$scratch/aerial-labels.mha"
  run "512×512×300 brain, in its mask" 78643200 "$tessera" segment -i "$scratch/brain-512x512x300.mha" \
    --mask "$scratch/brain-512x512x300-mask.mha" -o "$scratch/brain-labels.mha"
} > "$root/Documentation/Benchmarks/LargeImages.md"
cat "$root/Documentation/Benchmarks/LargeImages.md"
