#ifndef tesseraFigureFiles_h
#define tesseraFigureFiles_h

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

/** \file Figures (overlays, charts) written as PNG files, without OpenCV. The drawing is done
 * with OpenCV by the Figures module (lib/libTesseraFigures.so: tesseraOverlay.h, tesseraPlot.h,
 * tesseraContactSheet.h), which these functions load on their first call (tesseraModuleLoader.h),
 * so that commands that draw nothing never load OpenCV and the BLAS and LAPACK it binds (~8 ms
 * and ~6 MB at start-up). Every file is written atomically (AtomicOutput): a reader sees the old
 * file or the new one, never half of it. */
namespace tessera
{
/** How labels are drawn over an image. */
struct OverlayOptions
{
  double opacity = 0.45;     ///< colour weight in [0, 1] inside the regions (borders are always drawn in full colour)
  bool   outline = false;    ///< borders only: the regions' insides stay bare
  bool   legend = true;      ///< a legend of the labels shown, with their names, under the views
  int    minimumPanel = 256; ///< views are enlarged by a whole factor until each is at least this tall or wide (px)
};

/** Title (above) and axis names of a chart: xAxis below the plot, yAxis turned on its left (a
 * vertical bar chart has its values on y); "" leaves one out. */
struct ChartText
{
  std::string title;
  std::string xAxis;
  std::string yAxis;
};

/** One bar: its name, its value in [0, 1] (NaN = undefined, drawn as "n/a") and RGB colour. */
struct Bar
{
  std::string            name;
  double                 value = 0.0;
  std::array<uint8_t, 3> color{ { 70, 130, 180 } };
};

/** Bars of classes: values[i] belongs to labels[i]; names and colours from `table`, a label it
 * does not list being named by its number with its palette colour (LabelTable::Color).
 * \throws Error("bar chart", ...) when labels and values differ in number. */
std::vector<Bar>
ClassBars(const std::vector<LabelPixel> & labels, const std::vector<double> & values, const LabelTable & table);

enum class BarDirection
{
  Horizontal, ///< one row per bar, names on the left, values along x
  Vertical    ///< one column per bar, names below (turned when wide), values along y
};

/** RenderOverlay() (tesseraOverlay.h) written as PNG to `path`.
 * \throws Error naming the output when it cannot be written, or when image and labels differ in grid. */
template <unsigned int D>
void WriteOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
                  const std::string & path, const OverlayOptions & options = {});

/** DrawBarChart() (tesseraPlot.h) written as PNG to `path`. \throws Error as DrawBarChart and WritePng do. */
void WriteBarChart(const std::vector<Bar> & bars, const ChartText & text, BarDirection direction,
                   const std::string & path);

/** DrawConfusionMatrix() (tesseraPlot.h) written as PNG to `path`.
 * \throws Error as DrawConfusionMatrix and WritePng do. */
void WriteConfusionMatrix(const std::vector<std::string> & names, const std::vector<std::vector<std::int64_t>> & counts,
                          const ChartText & text, const std::string & path);

extern template void WriteOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &,
                                     const std::string &, const OverlayOptions &);
extern template void WriteOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &,
                                     const std::string &, const OverlayOptions &);
} // namespace tessera

#endif
