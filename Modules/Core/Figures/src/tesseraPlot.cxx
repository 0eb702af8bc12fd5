#include "tesseraPlot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "itkImage.h"
#include "itkRGBPixel.h"

#include "tesseraError.h"
#include "tesseraImageIO.h"

namespace tessera
{
namespace
{
constexpr int    Font = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar White(255, 255, 255);
const cv::Scalar Ink(40, 40, 40);
const cv::Scalar Grey(120, 120, 120);
const cv::Scalar Grid(228, 228, 228);
constexpr int    MinimumWidth = 720;
constexpr double TitleScale = 0.65;
constexpr double LabelScale = 0.5;

cv::Scalar
Bgr(const std::array<uint8_t, 3> & rgb)
{
  return cv::Scalar(rgb[2], rgb[1], rgb[0]);
}

double
Luminance(const cv::Scalar & bgr)
{
  return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2];
}

/** Black on light colours, white on dark ones. */
cv::Scalar
Contrast(const cv::Scalar & bgr)
{
  return Luminance(bgr) < 140 ? White : cv::Scalar(0, 0, 0);
}

cv::Size
TextSize(const std::string & text, double scale, int thickness = 1)
{
  int baseline = 0;
  return cv::getTextSize(text, Font, scale, thickness, &baseline);
}

/** Text whose left end is at x, vertically centred on y. */
void
TextLeft(cv::Mat & image, const std::string & text, int x, int y, double scale, const cv::Scalar & colour,
         int thickness = 1)
{
  const cv::Size s = TextSize(text, scale, thickness);
  cv::putText(image, text, cv::Point(x, y + s.height / 2), Font, scale, colour, thickness, cv::LINE_AA);
}

void
TextRight(cv::Mat & image, const std::string & text, int x, int y, double scale, const cv::Scalar & colour)
{
  TextLeft(image, text, x - TextSize(text, scale).width, y, scale, colour);
}

void
TextCentred(cv::Mat & image, const std::string & text, int x, int y, double scale, const cv::Scalar & colour,
            int thickness = 1)
{
  TextLeft(image, text, x - TextSize(text, scale, thickness).width / 2, y, scale, colour, thickness);
}

/** Text turned a quarter left (read bottom to top), centred on (x, y); putText cannot turn. */
void
TextTurned(cv::Mat & image, const std::string & text, int x, int y, double scale, const cv::Scalar & colour)
{
  int            baseline = 0;
  const cv::Size s = cv::getTextSize(text, Font, scale, 1, &baseline);
  cv::Mat        flat(s.height + baseline + 4, s.width + 4, CV_8UC3, White);
  cv::putText(flat, text, cv::Point(2, s.height + 2), Font, scale, colour, 1, cv::LINE_AA);
  cv::Mat turned;
  cv::rotate(flat, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect target(x - turned.cols / 2, y - turned.rows / 2, turned.cols, turned.rows);
  const cv::Rect inside = target & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.empty())
  {
    return;
  }
  cv::Mat part = image(inside);
  // Darken only: the text's white box must not cover what is under it.
  cv::min(part, turned(cv::Rect(inside.x - target.x, inside.y - target.y, inside.width, inside.height)), part);
}

/** The text, cut and ended with ".." when wider than maxWidth pixels. */
std::string
Fit(std::string text, double scale, int maxWidth)
{
  if (TextSize(text, scale).width <= maxWidth)
  {
    return text;
  }
  while (text.size() > 1 && TextSize(text + "..", scale).width > maxWidth)
  {
    text.pop_back();
  }
  return text + "..";
}

std::string
Format(double value, int decimals)
{
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

/** A round step (1, 2, 2.5 or 5 × 10^k) that cuts `range` into about `ticks` parts. */
double
NiceStep(double range, int ticks)
{
  const double raw = range / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : { 1.0, 2.0, 2.5, 5.0 })
  {
    if (m * magnitude >= raw * (1 - 1e-9))
    {
      return m * magnitude;
    }
  }
  return 10 * magnitude;
}

/** Decimals that print multiples of `step` exactly (0.25 → 2, 5 → 0). */
int
Decimals(double step)
{
  int d = 0;
  while (d < 6 && std::abs(step * std::pow(10.0, d) - std::round(step * std::pow(10.0, d))) > 1e-6)
  {
    ++d;
  }
  return d;
}

/** Title centred above the plot and the axis names: x below (centred on xAxisY), y turned
 * (centred on yAxisX). */
void
DrawText(cv::Mat & image, const ChartText & text, const cv::Rect & area, int xAxisY, int yAxisX = 14)
{
  if (!text.title.empty())
  {
    TextCentred(image, Fit(text.title, TitleScale, image.cols - 20), image.cols / 2, 24, TitleScale, Ink, 2);
  }
  if (!text.xAxis.empty())
  {
    TextCentred(image, text.xAxis, area.x + area.width / 2, xAxisY, LabelScale, Ink);
  }
  if (!text.yAxis.empty())
  {
    TextTurned(image, text.yAxis, yAxisX, area.y + area.height / 2, LabelScale, Ink);
  }
}
} // namespace

cv::Mat
DrawBarChart(const std::vector<Bar> & bars, const ChartText & text, BarDirection direction, cv::Rect * plotArea)
{
  if (bars.empty())
  {
    throw Error("bar chart", "no bars to draw");
  }
  for (const auto & b : bars)
  {
    if (!std::isnan(b.value) && !(b.value >= 0.0 && b.value <= 1.0))
    {
      throw Error("bar chart", "value " + std::to_string(b.value) + " of '" + b.name + "' is outside [0, 1]");
    }
  }
  const int  n = static_cast<int>(bars.size());
  const bool horizontal = direction == BarDirection::Horizontal;
  // Room per bar: generous for a few classes, 14 px at least for many (a brain atlas has ~140).
  const int    pitch = horizontal ? std::clamp(600 / n, 14, 48) : std::clamp(600 / n, 14, 90);
  const int    thickness = std::max(8, pitch * 7 / 10);
  const double nameScale = std::clamp((thickness - 2) / 22.0, 0.3, 0.5);
  const double valueScale = std::clamp((thickness - 2) / 24.0, 0.3, 0.45);
  int          nameWidth = 0;
  for (const auto & b : bars)
  {
    nameWidth = std::max(nameWidth, TextSize(Fit(b.name, nameScale, 200), nameScale).width);
  }
  const int top = text.title.empty() ? 20 : 50;
  cv::Rect  area;
  int       height = 0;
  int       width = 0;
  bool      turnNames = false;
  if (horizontal)
  {
    const int left = 30 + nameWidth + 10;
    width = std::max(MinimumWidth, left + 420 + 30);
    area = cv::Rect(left, top, width - left - 30, n * pitch);
    height = area.y + area.height + 60;
  }
  else
  {
    const int left = 80;
    const int plotWidth = std::max(560, n * pitch);
    width = left + plotWidth + 30;
    turnNames = nameWidth > plotWidth / n - 4;
    const int namesHeight = turnNames ? nameWidth + 8 : 20;
    area = cv::Rect(left, top, plotWidth, 360);
    height = area.y + area.height + namesHeight + 45;
  }
  cv::Mat image(height, width, CV_8UC3, White);
  const int valueLength = horizontal ? area.width : area.height;
  // Grid every 0.1, labelled every 0.2.
  for (int k = 0; k <= 10; ++k)
  {
    const int at = static_cast<int>(std::lround(k * valueLength / 10.0));
    if (horizontal)
    {
      const int x = std::min(area.x + at, area.x + area.width - 1);
      cv::line(image, { x, area.y }, { x, area.y + area.height - 1 }, Grid);
      if (k % 2 == 0)
      {
        TextCentred(image, Format(k / 10.0, 1), x, area.y + area.height + 14, 0.45, Ink);
      }
    }
    else
    {
      const int y = std::max(area.y + area.height - 1 - at, area.y);
      cv::line(image, { area.x, y }, { area.x + area.width - 1, y }, Grid);
      if (k % 2 == 0)
      {
        TextRight(image, Format(k / 10.0, 1), area.x - 8, y, 0.45, Ink);
      }
    }
  }
  const double slot = horizontal ? static_cast<double>(area.height) / n : static_cast<double>(area.width) / n;
  for (int i = 0; i < n; ++i)
  {
    const Bar &      b = bars[i];
    const cv::Scalar colour = Bgr(b.color);
    const int        centre = static_cast<int>((horizontal ? area.y : area.x) + (i + 0.5) * slot);
    const int        length = std::isnan(b.value) ? 0 : static_cast<int>(std::lround(b.value * valueLength));
    const std::string value = std::isnan(b.value) ? "n/a" : Format(b.value, 3);
    const cv::Size    valueSize = TextSize(value, valueScale);
    const std::string name = Fit(b.name, nameScale, horizontal ? 200 : (turnNames ? 200 : static_cast<int>(slot) - 4));
    if (horizontal)
    {
      const int y0 = centre - thickness / 2;
      if (length > 0)
      {
        const cv::Rect bar(area.x, y0, length, thickness);
        cv::rectangle(image, bar, colour, cv::FILLED);
        if (Luminance(colour) > 235)
        {
          cv::rectangle(image, bar, Grey); // a white class stays visible
        }
      }
      TextRight(image, name, area.x - 8, centre, nameScale, Ink);
      // The value inside the bar's end when it fits there, else just after it.
      if (length >= valueSize.width + 10)
      {
        TextLeft(image, value, area.x + length - valueSize.width - 5, centre, valueScale, Contrast(colour));
      }
      else
      {
        TextLeft(image, value, area.x + length + 5, centre, valueScale, std::isnan(b.value) ? Grey : Ink);
      }
    }
    else
    {
      const int w = std::min(thickness, static_cast<int>(slot) - 4);
      const int bottom = area.y + area.height;
      if (length > 0)
      {
        const cv::Rect bar(centre - w / 2, bottom - length, w, length);
        cv::rectangle(image, bar, colour, cv::FILLED);
        if (Luminance(colour) > 235)
        {
          cv::rectangle(image, bar, Grey);
        }
      }
      const double scale = valueSize.width <= slot - 2 ? valueScale : valueScale * (slot - 2) / valueSize.width;
      const int    h = TextSize(value, scale).height;
      if (bottom - length - h - 8 >= area.y)
      {
        TextCentred(image, value, centre, bottom - length - h / 2 - 5, scale, std::isnan(b.value) ? Grey : Ink);
      }
      else
      {
        TextCentred(image, value, centre, bottom - length + h / 2 + 5, scale, Contrast(colour));
      }
      if (turnNames)
      {
        const int nw = TextSize(name, nameScale).width;
        TextTurned(image, name, centre, bottom + 6 + nw / 2, nameScale, Ink);
      }
      else
      {
        TextCentred(image, name, centre, bottom + 14, nameScale, Ink);
      }
    }
  }
  // Axes last, over the bars' ends at 0.
  cv::line(image, { area.x, area.y }, { area.x, area.y + area.height - 1 }, Ink);
  cv::line(image, { area.x, area.y + area.height - 1 }, { area.x + area.width - 1, area.y + area.height - 1 }, Ink);
  DrawText(image, text, area, image.rows - 14);
  if (plotArea)
  {
    *plotArea = area;
  }
  return image;
}

cv::Mat
DrawLineChart(const std::vector<Series> &              series,
              const ChartText &                        text,
              std::optional<std::pair<double, double>> yRange,
              cv::Rect *                               plotArea)
{
  if (series.empty())
  {
    throw Error("line chart", "no series to draw");
  }
  double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
  bool   integral = true;
  for (const auto & s : series)
  {
    if (s.x.size() != s.y.size())
    {
      throw Error("line chart", "series '" + s.name + "' has " + std::to_string(s.x.size()) + " x but " +
                                  std::to_string(s.y.size()) + " y values");
    }
    for (size_t i = 0; i < s.x.size(); ++i)
    {
      if (!std::isfinite(s.x[i]))
      {
        throw Error("line chart", "series '" + s.name + "' has a non-finite x value");
      }
      if (!std::isfinite(s.y[i]))
      {
        continue;
      }
      xMin = std::min(xMin, s.x[i]);
      xMax = std::max(xMax, s.x[i]);
      yMin = std::min(yMin, s.y[i]);
      yMax = std::max(yMax, s.y[i]);
      integral = integral && s.x[i] == std::round(s.x[i]);
    }
  }
  if (!std::isfinite(xMin))
  {
    throw Error("line chart", "no finite point to draw");
  }
  if (xMax == xMin)
  {
    xMin -= 1;
    xMax += 1;
  }
  double yStep = 0;
  if (yRange)
  {
    if (!std::isfinite(yRange->first) || !std::isfinite(yRange->second) || !(yRange->first < yRange->second))
    {
      throw Error("line chart", "the y range must be two finite values, low < high");
    }
    yMin = yRange->first;
    yMax = yRange->second;
    yStep = NiceStep(yMax - yMin, 5);
  }
  else
  {
    if (yMax - yMin <= 1e-12 * std::max(1.0, std::abs(yMax)))
    {
      const double pad = std::max(0.5, std::abs(yMax) * 0.1);
      yMin -= pad;
      yMax += pad;
    }
    yStep = NiceStep(yMax - yMin, 5);
    yMin = std::floor(yMin / yStep + 1e-9) * yStep;
    yMax = std::ceil(yMax / yStep - 1e-9) * yStep;
  }
  double xStep = NiceStep(xMax - xMin, 8);
  if (integral)
  {
    xStep = std::max(1.0, std::ceil(xStep)); // epochs are whole numbers
  }

  const int      width = MinimumWidth;
  const int      top = text.title.empty() ? 20 : 50;
  const cv::Rect area(80, top, width - 80 - 24, 280);
  cv::Mat        image(area.y + area.height + 60, width, CV_8UC3, White);
  const auto     px = [&](double x) { return (x - xMin) / (xMax - xMin) * (area.width - 1); };
  const auto     py = [&](double y) { return area.height - 1 - (y - yMin) / (yMax - yMin) * (area.height - 1); };

  const int yDecimals = Decimals(yStep);
  for (double y = std::ceil(yMin / yStep - 1e-9) * yStep; y <= yMax + yStep * 1e-6; y += yStep)
  {
    const int at = area.y + static_cast<int>(std::lround(py(y)));
    cv::line(image, { area.x, at }, { area.x + area.width - 1, at }, Grid);
    TextRight(image, Format(std::abs(y) < yStep * 1e-6 ? 0.0 : y, yDecimals), area.x - 8, at, 0.45, Ink); // not "-0.0"
  }
  const int xDecimals = Decimals(xStep);
  for (double x = std::ceil(xMin / xStep - 1e-9) * xStep; x <= xMax + xStep * 1e-6; x += xStep)
  {
    const int at = area.x + static_cast<int>(std::lround(px(x)));
    cv::line(image, { at, area.y }, { at, area.y + area.height - 1 }, Grid);
    TextCentred(image, Format(std::abs(x) < xStep * 1e-6 ? 0.0 : x, xDecimals), at, area.y + area.height + 14, 0.45, Ink);
  }

  // Drawn inside the plot area's view, so values outside a given y range are clipped.
  cv::Mat plot = image(area);
  for (const auto & s : series)
  {
    const cv::Scalar colour = Bgr(s.color);
    const bool       dots = s.x.size() <= 60;
    std::optional<cv::Point> previous;
    for (size_t i = 0; i < s.x.size(); ++i)
    {
      if (!std::isfinite(s.y[i]))
      {
        previous.reset(); // a gap
        continue;
      }
      // 4 fractional bits: lines land where the values are, not on the nearest whole pixel.
      const cv::Point p(static_cast<int>(std::lround(px(s.x[i]) * 16)), static_cast<int>(std::lround(py(s.y[i]) * 16)));
      if (previous)
      {
        cv::line(plot, *previous, p, colour, 2, cv::LINE_AA, 4);
      }
      if (dots)
      {
        cv::circle(plot, p, 3 * 16, colour, cv::FILLED, cv::LINE_AA, 4);
      }
      previous = p;
    }
  }
  cv::rectangle(image, area, Ink);

  // Legend in the top-right corner of the plot, on white.
  std::vector<const Series *> named;
  for (const auto & s : series)
  {
    if (!s.name.empty())
    {
      named.push_back(&s);
    }
  }
  if (!named.empty())
  {
    int textWidth = 0;
    for (const auto * s : named)
    {
      textWidth = std::max(textWidth, TextSize(Fit(s->name, 0.45, 260), 0.45).width);
    }
    const cv::Rect box(area.x + area.width - textWidth - 48, area.y + 8, textWidth + 40, 20 * static_cast<int>(named.size()) + 8);
    cv::rectangle(image, box, White, cv::FILLED);
    cv::rectangle(image, box, cv::Scalar(200, 200, 200));
    for (size_t i = 0; i < named.size(); ++i)
    {
      const int y = box.y + 14 + 20 * static_cast<int>(i);
      cv::line(image, { box.x + 8, y }, { box.x + 28, y }, Bgr(named[i]->color), 2, cv::LINE_AA);
      TextLeft(image, Fit(named[i]->name, 0.45, 260), box.x + 34, y, 0.45, Ink);
    }
  }
  DrawText(image, text, area, image.rows - 14);
  if (plotArea)
  {
    *plotArea = area;
  }
  return image;
}

namespace
{
/** White (0) → light blue (0.5) → dark blue (1), as matplotlib's "Blues"; darker as f grows. */
cv::Scalar
HeatColour(double f)
{
  const std::array<std::array<double, 3>, 3> stops{ { { 255, 255, 255 }, { 107, 174, 214 }, { 8, 48, 107 } } };
  f = std::clamp(f, 0.0, 1.0);
  const int    k = f < 0.5 ? 0 : 1;
  const double t = (f - 0.5 * k) / 0.5;
  std::array<double, 3> rgb{};
  for (int c = 0; c < 3; ++c)
  {
    rgb[c] = stops[k][c] + t * (stops[k + 1][c] - stops[k][c]);
  }
  return cv::Scalar(std::round(rgb[2]), std::round(rgb[1]), std::round(rgb[0]));
}

/** 9876, 12.3k, 4.56M, 7.89G: counts short enough for a cell. */
std::string
Compact(std::int64_t count)
{
  const double v = static_cast<double>(count);
  if (count < 10000)
  {
    return std::to_string(count);
  }
  const char * units[] = { "k", "M", "G", "T" };
  double       scaled = v / 1000;
  int          u = 0;
  while (scaled >= 999.5 && u < 3)
  {
    scaled /= 1000;
    ++u;
  }
  return Format(scaled, scaled < 10 ? 2 : (scaled < 100 ? 1 : 0)) + units[u];
}

/** The largest scale in [0.3, maxScale] at which every text fits `room` pixels wide, or 0. */
double
ScaleToFit(const std::vector<std::string> & texts, int room, double maxScale)
{
  for (double scale = maxScale; scale >= 0.3 - 1e-9; scale -= 0.05)
  {
    const bool fits = std::all_of(texts.begin(), texts.end(), [&](const auto & t) { return TextSize(t, scale).width <= room; });
    if (fits)
    {
      return scale;
    }
  }
  return 0;
}
} // namespace

cv::Mat
DrawConfusionMatrix(const std::vector<std::string> &               names,
                    const std::vector<std::vector<std::int64_t>> & counts,
                    const ChartText &                              text,
                    cv::Rect *                                     plotArea)
{
  if (names.empty())
  {
    throw Error("confusion matrix", "no classes to draw");
  }
  const int n = static_cast<int>(names.size());
  if (counts.size() != names.size() ||
      std::any_of(counts.begin(), counts.end(), [&](const auto & row) { return row.size() != names.size(); }))
  {
    throw Error("confusion matrix", "counts must be " + std::to_string(n) + " x " + std::to_string(n) + ", one row and column per class");
  }
  for (const auto & row : counts)
  {
    if (std::any_of(row.begin(), row.end(), [](std::int64_t c) { return c < 0; }))
    {
      throw Error("confusion matrix", "a count is negative");
    }
  }
  const int    cell = std::clamp(480 / n, 14, 120);
  const double nameScale = std::clamp(cell / 40.0, 0.3, 0.5);
  int          nameWidth = 0;
  for (const auto & name : names)
  {
    nameWidth = std::max(nameWidth, TextSize(Fit(name, nameScale, 200), nameScale).width);
  }
  const bool turnNames = nameWidth > cell - 4;
  const int  top = text.title.empty() ? 20 : 50;
  // Centred when the matrix, its names and colour bar take less than the minimum width.
  const int      natural = 30 + nameWidth + 10 + n * cell + 24 + 18 + 60;
  const int      left = 30 + nameWidth + 10 + std::max(0, MinimumWidth - natural) / 2;
  const cv::Rect area(left, top, n * cell, n * cell);
  const int      barX = area.x + area.width + 24;
  const int      width = std::max(MinimumWidth, natural);
  const int      height = area.y + area.height + (turnNames ? nameWidth + 10 : 24) + 40;
  cv::Mat        image(height, width, CV_8UC3, White);

  // Cell text: the row share, and the count on a second line when there is room for both.
  std::vector<std::vector<std::string>> share(n, std::vector<std::string>(n)), count(n, std::vector<std::string>(n));
  std::vector<std::string>              all;
  std::vector<std::int64_t>             totals(n, 0);
  for (int r = 0; r < n; ++r)
  {
    for (const auto c : counts[r])
    {
      totals[r] += c;
    }
  }
  for (int r = 0; r < n; ++r)
  {
    const std::int64_t total = totals[r];
    for (int c = 0; c < n; ++c)
    {
      const double f = total > 0 ? static_cast<double>(counts[r][c]) / total : 0.0;
      // Never "100%" or "0.0%" for a share that is not all or nothing.
      share[r][c] = counts[r][c] == 0          ? "0"
                    : counts[r][c] == total    ? "100%"
                    : f < 0.0005               ? "<0.1%"
                    : f > 0.9995               ? ">99.9%"
                                               : Format(100 * f, 1) + "%";
      count[r][c] = Compact(counts[r][c]);
      all.push_back(share[r][c]);
      all.push_back(count[r][c]);
      const cv::Rect box(area.x + c * cell, area.y + r * cell, cell, cell);
      cv::rectangle(image, box, HeatColour(f), cv::FILLED);
    }
  }
  const double cellScale = ScaleToFit(all, cell - 6, 0.5);
  const int    lineHeight = cellScale > 0 ? TextSize("0%", cellScale).height : 0;
  const bool   twoLines = cellScale > 0 && 2 * lineHeight + 10 <= cell - 4;
  if (cellScale > 0)
  {
    for (int r = 0; r < n; ++r)
    {
      for (int c = 0; c < n; ++c)
      {
        const double     f = totals[r] > 0 ? static_cast<double>(counts[r][c]) / totals[r] : 0.0;
        const cv::Scalar ink = Contrast(HeatColour(f));
        const int        x = area.x + c * cell + cell / 2;
        const int        y = area.y + r * cell + cell / 2;
        if (twoLines)
        {
          TextCentred(image, share[r][c], x, y - lineHeight / 2 - 3, cellScale, ink);
          TextCentred(image, count[r][c], x, y + lineHeight / 2 + 3, cellScale, ink);
        }
        else
        {
          TextCentred(image, share[r][c], x, y, cellScale, ink);
        }
      }
    }
  }
  cv::rectangle(image, area, Ink);
  for (int i = 0; i < n; ++i)
  {
    const std::string name = Fit(names[i], nameScale, 200);
    const int         centre = area.x + i * cell + cell / 2;
    TextRight(image, name, area.x - 8, area.y + i * cell + cell / 2, nameScale, Ink);
    if (turnNames)
    {
      TextTurned(image, name, centre, area.y + area.height + 6 + TextSize(name, nameScale).width / 2, nameScale, Ink);
    }
    else
    {
      TextCentred(image, name, centre, area.y + area.height + 14, nameScale, Ink);
    }
  }
  // Colour bar: the share of the row, 100 % at the top.
  for (int y = 0; y < area.height; ++y)
  {
    const double f = 1.0 - static_cast<double>(y) / std::max(1, area.height - 1);
    cv::line(image, { barX, area.y + y }, { barX + 17, area.y + y }, HeatColour(f));
  }
  cv::rectangle(image, cv::Rect(barX, area.y, 18, area.height), Ink);
  TextLeft(image, "100%", barX + 22, area.y + 4, 0.4, Ink);
  TextLeft(image, "50%", barX + 22, area.y + area.height / 2, 0.4, Ink);
  TextLeft(image, "0%", barX + 22, area.y + area.height - 5, 0.4, Ink);
  DrawText(image, text, area, image.rows - 14, area.x - nameWidth - 26);
  if (plotArea)
  {
    *plotArea = area;
  }
  return image;
}

cv::Mat
StackCharts(const std::vector<cv::Mat> & charts)
{
  if (charts.empty())
  {
    throw Error("charts", "nothing to stack");
  }
  int width = 0;
  for (const auto & c : charts)
  {
    width = std::max(width, c.cols);
  }
  std::vector<cv::Mat> padded;
  for (const auto & c : charts)
  {
    cv::Mat p;
    cv::copyMakeBorder(c, p, 0, 0, 0, width - c.cols, cv::BORDER_CONSTANT, White);
    padded.push_back(p);
  }
  cv::Mat stacked;
  cv::vconcat(padded, stacked);
  return stacked;
}

void
WritePng(const cv::Mat & image, const std::string & path)
{
  const std::string ext = LowerCaseExtension(path);
  if (ext != ".png")
  {
    throw Error(path, "a figure is written as .png");
  }
  // Through ITK's PNG writer: OpenCV's image codecs would load GDAL and a hundred libraries more.
  using RgbImage = itk::Image<itk::RGBPixel<std::uint8_t>, 2>;
  cv::Mat bgr;
  if (image.type() == CV_8UC1)
  {
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  }
  else if (image.type() == CV_8UC3)
  {
    bgr = image;
  }
  else
  {
    throw Error(path, "a figure must be 8-bit grey or BGR");
  }
  auto rgb = RgbImage::New();
  rgb->SetRegions(RgbImage::SizeType{ { static_cast<itk::SizeValueType>(bgr.cols), static_cast<itk::SizeValueType>(bgr.rows) } });
  rgb->Allocate();
  for (int r = 0; r < bgr.rows; ++r)
  {
    const auto * row = bgr.ptr<cv::Vec3b>(r);
    auto *       out = rgb->GetBufferPointer() + static_cast<std::size_t>(r) * bgr.cols;
    for (int c = 0; c < bgr.cols; ++c)
    {
      out[c].Set(row[c][2], row[c][1], row[c][0]);
    }
  }
  WriteImageFile(rgb.GetPointer(), path);
}
} // namespace tessera

/** Entry points of WriteBarChart and WriteConfusionMatrix (tesseraFigureFiles.h), which load this module. */
extern "C" void
tesseraWriteBarChart(const std::vector<tessera::Bar> & bars, const tessera::ChartText & text,
                     tessera::BarDirection direction, const std::string & path)
{
  tessera::WritePng(tessera::DrawBarChart(bars, text, direction), path);
}

extern "C" void
tesseraWriteConfusionMatrix(const std::vector<std::string> & names,
                            const std::vector<std::vector<std::int64_t>> & counts, const tessera::ChartText & text,
                            const std::string & path)
{
  tessera::WritePng(tessera::DrawConfusionMatrix(names, counts, text), path);
}
