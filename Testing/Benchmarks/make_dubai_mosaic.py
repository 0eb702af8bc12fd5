#!/usr/bin/python3
"""Writes a SIZE x SIZE RGB GeoTIFF mosaic (tiled, DEFLATE, BigTIFF) of the 63 Dubai aerial images
(../shared/data/dubai-aerial), each resized to 2000 x 2000 (bilinear) and laid row by row, cycling
through them; georeferenced at 0.3 m pixels in WGS 84 / UTM zone 40N from (300000, 2800000), an
assigned frame (the images carry none). Memory stays at one cell.
    /usr/bin/python3 make_dubai_mosaic.py DATA_DIR OUT.tif [SIZE]"""
import glob
import sys

from osgeo import gdal, osr

gdal.UseExceptions()
data, out = sys.argv[1:3]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
cell = 2000
images = sorted(glob.glob(f"{data}/dubai-aerial/tile*/images/*.jpg"))
driver = gdal.GetDriverByName("GTiff")
mosaic = driver.Create(out, size, size, 3, gdal.GDT_Byte,
                       ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=YES", "INTERLEAVE=PIXEL"])
mosaic.SetGeoTransform([300000.0, 0.3, 0.0, 2800000.0, 0.0, -0.3])
utm = osr.SpatialReference()
utm.ImportFromEPSG(32640)
mosaic.SetProjection(utm.ExportToWkt())
n = 0
for y in range(0, size, cell):
    for x in range(0, size, cell):
        w, h = min(cell, size - x), min(cell, size - y)
        part = gdal.Translate("", images[n % len(images)], format="MEM", width=cell, height=cell,
                              resampleAlg="bilinear")
        mosaic.WriteRaster(x, y, w, h, part.ReadRaster(0, 0, w, h))
        n += 1
mosaic = None
print(f"{out}: {size} x {size} RGB from {n} cells of {len(images)} Dubai images")
