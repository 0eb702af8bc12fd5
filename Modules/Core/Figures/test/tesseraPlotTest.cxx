#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "tesseraError.h"
#include "tesseraPlot.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
bool
Near(const cv::Vec3b & pixel, const cv::Scalar & bgr, int tolerance = 40)
{
  return std::abs(pixel[0] - bgr[0]) + std::abs(pixel[1] - bgr[1]) + std::abs(pixel[2] - bgr[2]) <= tolerance;
}

/** Pixels of the colour within `radius` of (x, y). */
bool
ColourNear(const cv::Mat & image, int x, int y, const cv::Scalar & bgr, int radius = 1)
{
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx)
      if (Near(image.at<cv::Vec3b>(y + dy, x + dx), bgr))
        return true;
  return false;
}

/** Columns (horizontal) or rows (vertical) that hold the colour inside a band across `area`. */
int
ColouredExtent(const cv::Mat & image, const cv::Rect & area, int from, int to, const cv::Scalar & bgr, bool horizontal)
{
  int extent = 0;
  for (int a = from; a <= to; ++a)
    for (int v = 0; v < (horizontal ? area.width : area.height); ++v)
    {
      const auto & px = horizontal ? image.at<cv::Vec3b>(a, area.x + v) : image.at<cv::Vec3b>(area.y + area.height - 1 - v, a);
      if (Near(px, bgr, 0))
        extent = std::max(extent, v + 1);
    }
  return extent;
}

double
Grey(const cv::Vec3b & p)
{
  return (p[0] + p[1] + p[2]) / 3.0;
}
} // namespace

TEST(Plot, BarLengthIsTheValueTimesTheAxis)
{
  const std::array<uint8_t, 3> red{ { 200, 30, 30 } }, green{ { 30, 140, 30 } };
  for (const auto direction : { BarDirection::Horizontal, BarDirection::Vertical })
  {
    cv::Rect   area;
    const auto image =
      DrawBarChart({ { "half", 0.5, red }, { "most", 0.9, green } }, { "Dice per class", "Dice", "class" }, direction, &area);
    ASSERT_EQ(image.type(), CV_8UC3);
    EXPECT_GE(image.cols, 600);
    const bool horizontal = direction == BarDirection::Horizontal;
    const int  slot = (horizontal ? area.height : area.width) / 2;
    const int  start = horizontal ? area.y : area.x;
    const int  length = horizontal ? area.width : area.height;
    EXPECT_NEAR(ColouredExtent(image, area, start, start + slot - 1, cv::Scalar(30, 30, 200), horizontal), 0.5 * length, 2);
    EXPECT_NEAR(ColouredExtent(image, area, start + slot, start + 2 * slot - 1, cv::Scalar(30, 140, 30), horizontal),
                0.9 * length, 2);
  }
}

TEST(Plot, ClassBarsTakeNamesAndColoursFromTheTable)
{
  LabelTable table;
  table.Add(2, { "GM", { { 10, 20, 30 } }, false });
  const auto bars = ClassBars({ 2, 3 }, { 0.8, 0.7 }, table);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].name, "GM");
  EXPECT_EQ(bars[0].color, (std::array<uint8_t, 3>{ { 10, 20, 30 } }));
  EXPECT_EQ(bars[1].name, "3");
  EXPECT_EQ(bars[1].color, DefaultLabelColor(3));
  EXPECT_THROW(ClassBars({ 2 }, { 0.8, 0.7 }, table), Error);
}

TEST(Plot, UndefinedValuesAreWrittenNotApplicableWithoutABar)
{
  const std::array<uint8_t, 3> blue{ { 20, 60, 200 } };
  cv::Rect                     area;
  const auto image = DrawBarChart({ { "absent", std::nan(""), blue }, { "present", 0.25, blue } }, {}, BarDirection::Horizontal, &area);
  const int  slot = area.height / 2;
  EXPECT_EQ(ColouredExtent(image, area, area.y, area.y + slot - 1, cv::Scalar(200, 60, 20), true), 0);
  // "n/a" is printed in the empty band: some dark text there.
  int dark = 0;
  for (int y = area.y; y < area.y + slot; ++y)
    for (int x = area.x + 2; x < area.x + 60; ++x)
      dark += Grey(image.at<cv::Vec3b>(y, x)) < 160;
  EXPECT_GT(dark, 10);
  EXPECT_NEAR(ColouredExtent(image, area, area.y + slot, area.y + 2 * slot - 1, cv::Scalar(200, 60, 20), true),
              0.25 * area.width, 2);
}

TEST(Plot, BadInputThrows)
{
  EXPECT_THROW(DrawBarChart({}, {}), Error);
  EXPECT_THROW(DrawBarChart({ { "over", 1.5 } }, {}), Error);
  EXPECT_THROW(DrawLineChart({}, {}), Error);
  EXPECT_THROW(DrawLineChart({ { "empty", {}, {} } }, {}), Error);
  EXPECT_THROW(DrawLineChart({ { "all NaN", { 1, 2 }, { NAN, NAN } } }, {}), Error);
  EXPECT_THROW(DrawLineChart({ { "uneven", { 1, 2 }, { 0.5 } } }, {}), Error);
  EXPECT_THROW(DrawLineChart({ { "ok", { 1, 2 }, { 0.5, 0.6 } } }, {}, std::make_pair(1.0, 0.0)), Error);
  EXPECT_THROW(DrawConfusionMatrix({}, {}, {}), Error);
  EXPECT_THROW(DrawConfusionMatrix({ "a", "b" }, { { 1, 2 } }, {}), Error);
  EXPECT_THROW(DrawConfusionMatrix({ "a" }, { { -1 } }, {}), Error);
  EXPECT_THROW(StackCharts({}), Error);
}

TEST(Plot, LineChartPassesThroughItsPoints)
{
  const std::vector<double> x{ 1, 2, 3, 4, 5 }, y{ 0.1, 0.3, 0.2, 0.4, 0.25 };
  const std::array<uint8_t, 3> orange{ { 255, 127, 14 } };
  cv::Rect   area;
  const auto image = DrawLineChart({ { "validation mIoU", x, y, orange } }, { "mIoU", "epoch", "mIoU" },
                                   std::make_pair(0.0, 1.0), &area);
  EXPECT_GE(image.cols, 600);
  for (size_t i = 0; i < x.size(); ++i)
  {
    const int px = area.x + static_cast<int>(std::lround((x[i] - 1) / 4 * (area.width - 1)));
    const int py = area.y + static_cast<int>(std::lround((1 - y[i]) * (area.height - 1)));
    EXPECT_TRUE(ColourNear(image, px, py, cv::Scalar(14, 127, 255))) << "point " << i;
  }
  // Half way between the first two points the line passes at y = 0.2.
  const int mx = area.x + static_cast<int>(std::lround(0.125 * (area.width - 1)));
  EXPECT_TRUE(ColourNear(image, mx, area.y + static_cast<int>(std::lround(0.8 * (area.height - 1))), cv::Scalar(14, 127, 255)));
  // Nowhere near y = 0.9 at x = 3.
  EXPECT_FALSE(ColourNear(image, area.x + (area.width - 1) / 2, area.y + static_cast<int>(0.1 * area.height),
                          cv::Scalar(14, 127, 255), 3));
}

TEST(Plot, LineChartSkipsNaNAndFindsItsOwnRange)
{
  const std::array<uint8_t, 3> blue{ { 31, 119, 180 } }, orange{ { 255, 127, 14 } };
  cv::Rect                     area;
  const auto image = DrawLineChart({ { "training loss", { 1, 2, 3 }, { 2.0, 1.0, 0.5 }, blue },
                                     { "validation loss", { 1, 2, 3 }, { NAN, 1.2, 0.9 }, orange } },
                                   { "Loss", "epoch", "loss" }, std::nullopt, &area);
  // The range is widened to round ticks (0.5 .. 2 in steps of 0.25 or 0.5): the highest point
  // (epoch 1, 2.0) is on the top edge and the lowest (epoch 3, 0.5) on the bottom edge.
  EXPECT_TRUE(ColourNear(image, area.x, area.y, cv::Scalar(180, 119, 31)));
  EXPECT_TRUE(ColourNear(image, area.x + area.width - 1, area.y + area.height - 1, cv::Scalar(180, 119, 31)));
  // A single point draws a chart too.
  EXPECT_NO_THROW(DrawLineChart({ { "one", { 1 }, { 0.3 } } }, {}));
}

TEST(Plot, LargestShareOfARowIsTheDarkestCell)
{
  const std::vector<std::vector<std::int64_t>> counts{ { 50, 5, 0 }, { 10, 30, 10 }, { 0, 2, 8 } };
  cv::Rect                                     area;
  const auto image = DrawConfusionMatrix({ "CSF", "GM", "WM" }, counts, { "Confusion", "segmentation", "reference" }, &area);
  EXPECT_GE(image.cols, 600);
  const int cell = area.width / 3;
  EXPECT_EQ(area.height, 3 * cell);
  double darkest = 256;
  int    where = -1;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
    {
      // A corner of the cell, away from its printed numbers.
      const double g = Grey(image.at<cv::Vec3b>(area.y + r * cell + 3, area.x + c * cell + 3));
      if (g < darkest)
      {
        darkest = g;
        where = r * 3 + c;
      }
    }
  EXPECT_EQ(where, 0); // 50 of 55: the largest count and share
  // Empty cells stay white; a row share of 0.8 is darker than one of 0.6.
  EXPECT_GT(Grey(image.at<cv::Vec3b>(area.y + 3, area.x + 2 * cell + 3)), 250);
  EXPECT_LT(Grey(image.at<cv::Vec3b>(area.y + 2 * cell + 3, area.x + 2 * cell + 3)),
            Grey(image.at<cv::Vec3b>(area.y + cell + 3, area.x + cell + 3)));
}

TEST(Plot, ManyClassesStillDraw)
{
  std::vector<std::string>               names;
  std::vector<std::vector<std::int64_t>> counts(140, std::vector<std::int64_t>(140, 3));
  std::vector<Bar>                       bars;
  for (int i = 0; i < 140; ++i)
  {
    names.push_back("Left cerebral structure " + std::to_string(i));
    bars.push_back({ names.back(), i / 140.0 });
  }
  cv::Rect area;
  EXPECT_EQ(DrawConfusionMatrix(names, counts, {}, &area).type(), CV_8UC3);
  EXPECT_EQ(area.width, 140 * 14);
  EXPECT_NO_THROW(DrawBarChart(bars, {}, BarDirection::Horizontal));
  EXPECT_NO_THROW(DrawBarChart(bars, {}, BarDirection::Vertical));
}

TEST(Plot, WritePngIsReadBack)
{
  const auto dir = fs::temp_directory_path() / "tessera-plot-test";
  fs::create_directories(dir);
  const auto image = StackCharts({ DrawBarChart({ { "a", 0.5 } }, {}), DrawLineChart({ { "b", { 1, 2 }, { 1, 2 } } }, {}) });
  const auto path = (dir / "chart.png").string();
  WritePng(image, path);
  const cv::Mat back = cv::imread(path);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(cv::norm(back, image, cv::NORM_INF), 0);
  EXPECT_THROW(WritePng(image, (dir / "missing" / "chart.png").string()), Error);
  EXPECT_THROW(WritePng(image, (dir / "chart.jpg").string()), Error);
  EXPECT_FALSE(fs::exists(dir / "chart.jpg"));
  fs::remove_all(dir);
}

TEST(Plot, FigureFilesWriteWhatTheDrawFunctionsDraw)
{
  // WriteBarChart and WriteConfusionMatrix (tesseraFigureFiles.h) reach this library through the module loader.
  const auto dir = fs::temp_directory_path() / "tessera-figure-files-test";
  fs::create_directories(dir);
  const std::vector<Bar> bars{ { "grey matter", 0.81 }, { "white matter", 0.9, { { 250, 250, 225 } } } };
  const ChartText        text{ "Dice", "Dice", "" };
  WriteBarChart(bars, text, BarDirection::Vertical, (dir / "bars.png").string());
  EXPECT_EQ(cv::norm(cv::imread((dir / "bars.png").string()), DrawBarChart(bars, text, BarDirection::Vertical),
                     cv::NORM_INF),
            0);
  const std::vector<std::string>                names{ "a", "b" };
  const std::vector<std::vector<std::int64_t>> counts{ { 5, 1 }, { 0, 7 } };
  WriteConfusionMatrix(names, counts, text, (dir / "confusion.png").string());
  EXPECT_EQ(cv::norm(cv::imread((dir / "confusion.png").string()), DrawConfusionMatrix(names, counts, text),
                     cv::NORM_INF),
            0);
  EXPECT_THROW(WriteBarChart({}, text, BarDirection::Horizontal, (dir / "empty.png").string()), Error);
  EXPECT_FALSE(fs::exists(dir / "empty.png"));
  fs::remove_all(dir);
}
