#!/usr/bin/python3
"""Writes corpus/ImageReader/: tiny images, valid and broken, each prefixed with the byte that
makes tesseraImageReaderFuzzer give it its extension (the index in its Extensions list).
Debian's python3 with python3-numpy, python3-pil and python3-nibabel: /usr/bin/python3 make-image-corpus.py"""
import gzip
import io
import pathlib

import nibabel
import numpy as np
from PIL import Image

EXTENSIONS = [".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr", ".png", ".jpg", ".tif", ".bmp", ".vtk",
              ".gipl", ".hdr", ".dcm"]
OUT = pathlib.Path(__file__).parent / "corpus" / "ImageReader"
ramp = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16


def write(name, extension, data):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_bytes(bytes([EXTENSIONS.index(extension)]) + data)


def nifti(array, affine=np.diag([0.5, 0.5, 2.0, 1.0])):
    return nibabel.Nifti1Image(array, affine).to_bytes()


def pil(array, format, mode=None, **options):
    out = io.BytesIO()
    Image.fromarray(array, mode).save(out, format, **options)
    return out.getvalue()


def metaimage(header, data):
    return ("ObjectType = Image\n" + header + "ElementDataFile = LOCAL\n").encode() + data


def nrrd(header, data):
    return ("NRRD0004\n" + header + "\n").encode() + data


write("float-2d.nii", ".nii", nifti(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)))
write("labels-3d.nii", ".nii", nifti(np.array([0, 1, 2] * 6, dtype=np.uint8).reshape(3, 3, 2)))
write("nan-2d.nii", ".nii", nifti(np.array([[np.nan, 1.0], [np.inf, 2.0]], dtype=np.float32)))
write("truncated.nii", ".nii", nifti(np.zeros((8, 8), dtype=np.int16))[:360])
write("int16-3d.nii.gz", ".nii.gz", gzip.compress(nifti(np.arange(32, dtype=np.int16).reshape(4, 4, 2)), mtime=0))
write("uchar-2d.mha", ".mha", metaimage("NDims = 2\nDimSize = 3 2\nElementSpacing = 0.5 2\nElementType = MET_UCHAR\n",
                                       bytes(range(6))))
write("rgb-float.mha", ".mha", metaimage("NDims = 2\nDimSize = 2 2\nElementNumberOfChannels = 3\nElementType = MET_FLOAT\n",
                                        np.arange(12, dtype=np.float32).tobytes()))
write("short-data.mha", ".mha", metaimage("NDims = 3\nDimSize = 4 4 4\nElementType = MET_SHORT\n", bytes(10)))
write("ushort-3d.mhd", ".mhd", metaimage("NDims = 3\nDimSize = 2 2 2\nTransformMatrix = 0 1 0 1 0 0 0 0 1\n"
                                         "ElementType = MET_USHORT\n", np.arange(8, dtype=np.uint16).tobytes()))
write("float-3d.nrrd", ".nrrd", nrrd("type: float\ndimension: 3\nsizes: 2 2 2\nspace: left-posterior-superior\n"
                                     "space directions: (1,0,0) (0,1,0) (0,0,2)\nspace origin: (0,0,0)\n"
                                     "encoding: raw\nendian: little\n", np.arange(8, dtype=np.float32).tobytes()))
write("ascii-2d.nrrd", ".nrrd", nrrd("type: int\ndimension: 2\nsizes: 3 2\nencoding: ascii\n", b"0 1 2\n3 4 5\n"))
write("gzip-vector.nrrd", ".nrrd", nrrd("type: uchar\ndimension: 3\nkinds: vector domain domain\nsizes: 3 2 2\n"
                                        "encoding: gzip\n", gzip.compress(bytes(range(12)), mtime=0)))
write("huge.nrrd", ".nrrd", nrrd("type: double\ndimension: 3\nsizes: 100000 100000 100000\nencoding: raw\n"
                                 "endian: little\n", bytes(8)))
write("labels-2d.nhdr", ".nhdr", nrrd("type: ushort\ndimension: 2\nsizes: 2 2\nencoding: raw\nendian: little\n",
                                      bytes(8)))
write("grey.png", ".png", pil(ramp, "PNG"))
write("rgb.png", ".png", pil(np.stack([ramp, ramp[::-1], ramp.T], axis=-1), "PNG"))
write("rgba.png", ".png", pil(np.dstack([ramp] * 4), "PNG"))
write("uint16.png", ".png", pil(np.arange(9, dtype=np.uint16).reshape(3, 3) * 7000, "PNG", "I;16"))
broken = bytearray(pil(ramp, "PNG"))
broken[40] ^= 0xFF
write("bad-crc.png", ".png", bytes(broken))
write("grey.jpg", ".jpg", pil(np.kron(ramp, np.ones((2, 2), dtype=np.uint8)), "JPEG", quality=50))
write("rgb.jpg", ".jpg", pil(np.stack([ramp, ramp.T, ramp[::-1]], axis=-1), "JPEG", quality=50))
write("grey.tif", ".tif", pil(ramp, "TIFF"))
write("float.tif", ".tif", pil(np.linspace(0, 1, 9, dtype=np.float32).reshape(3, 3), "TIFF"))
write("rgb.bmp", ".bmp", pil(np.stack([ramp, ramp, ramp.T], axis=-1), "BMP"))
write("points.vtk", ".vtk", b"# vtk DataFile Version 3.0\nfuzz\nASCII\nDATASET STRUCTURED_POINTS\n"
                            b"DIMENSIONS 3 2 1\nSPACING 1 1 1\nORIGIN 0 0 0\nPOINT_DATA 6\n"
                            b"SCALARS scalars float 1\nLOOKUP_TABLE default\n0 1 2 3 4 5\n")
write("empty.mha", ".mha", b"")
