#ifndef tesseraPlot_h
#define tesseraPlot_h

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "tesseraFigureFiles.h"

/** \file Figures for reports (evaluation scores, training curves), drawn with OpenCV so that no
 * plotting package is needed: white background, text in FONT_HERSHEY_SIMPLEX, at least 640
 * pixels wide. Every Draw function returns a BGR 8-bit image; `plotArea`, when given, receives
 * the rectangle (pixels) that the axes span, so callers and tests can locate values. */
namespace tessera
{
/** A bar chart of values in [0, 1] (Dice, IoU) with light grid lines every 0.1 (ticks every
 * 0.2) and each value printed with 3 decimals on or beside its bar. A bar of value v spans
 * v × the value axis of `plotArea`, from its left edge (horizontal) or bottom edge (vertical).
 * Bars get thinner and text smaller when there are many (about 14 px per bar at 140 classes).
 * \throws Error("bar chart", ...) when `bars` is empty or a value lies outside [0, 1]. */
cv::Mat
DrawBarChart(const std::vector<Bar> &  bars,
             const ChartText &         text,
             BarDirection              direction = BarDirection::Horizontal,
             cv::Rect *                plotArea = nullptr);

/** One line of a line chart: y[i] at x[i] (e.g. epoch). NaN y values are left out (the line
 * breaks there). */
struct Series
{
  std::string            name;
  std::vector<double>    x;
  std::vector<double>    y;
  std::array<uint8_t, 3> color{ { 31, 119, 180 } }; ///< RGB
};

/** A line chart of one or more series with a legend (top right), tick labels on both axes and
 * dots at the points (up to 60 per series). The x axis of `plotArea` spans exactly the smallest
 * to the largest x of all series (x ± 1 when they are all equal); the y axis spans `yRange`
 * when given, else the finite y values widened to round tick steps (0.1 × 10^k, 0.2, 0.25 or
 * 0.5 × 10^k).
 * \throws Error("line chart", ...) when there is no series or no finite point, when a series'
 * x and y differ in length, when an x is not finite, or when yRange is empty or not finite. */
cv::Mat
DrawLineChart(const std::vector<Series> &               series,
              const ChartText &                         text,
              std::optional<std::pair<double, double>>  yRange = std::nullopt,
              cv::Rect *                                plotArea = nullptr);

/** A confusion matrix as a heatmap: counts[r][c] voxels of reference class r were given class c
 * (names[r], names[c]). A cell's colour is its share of the row (white 0 % to dark blue 100 %;
 * a row without voxels stays white), with a colour bar; each cell prints that share in percent
 * and, when two lines fit, its count (12.3k, 4.56M), text black or white for contrast. Rows
 * are drawn top to bottom, columns left to right, each cell of `plotArea` being a square of
 * plotArea.width / names.size() pixels. Cells shrink to 14 px as classes grow, down to
 * unreadable text, which is then left out.
 * \throws Error("confusion matrix", ...) when `names` is empty, `counts` is not names.size()
 * square, or a count is negative. */
cv::Mat
DrawConfusionMatrix(const std::vector<std::string> &                names,
                    const std::vector<std::vector<std::int64_t>> & counts,
                    const ChartText &                               text,
                    cv::Rect *                                      plotArea = nullptr);

/** Charts stacked top to bottom (e.g. loss above mIoU), narrower ones padded white on the right.
 * \throws Error("charts", ...) when `charts` is empty. */
cv::Mat
StackCharts(const std::vector<cv::Mat> & charts);

/** Writes a BGR 8-bit image as PNG, atomically (AtomicOutput): a reader sees the old file or the
 * new one, never half of it. \throws Error naming the file when it cannot be written (missing
 * folder, not a .png name). */
void
WritePng(const cv::Mat & image, const std::string & path);
} // namespace tessera

#endif
