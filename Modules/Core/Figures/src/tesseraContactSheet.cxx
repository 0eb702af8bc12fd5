#include "tesseraContactSheet.h"

#include <filesystem>
#include <set>

#include <opencv2/imgproc.hpp>

#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraPlot.h"
#include "tesseraProbabilityImage.h"
#include "tesseraStage.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
const cv::Scalar Background(32, 32, 32);
const cv::Scalar TextColour(235, 235, 235);

/** The image files to use: a folder's, or the one file given. */
std::vector<std::string>
Files(const std::string & path)
{
  std::error_code ec;
  return fs::is_directory(path, ec) ? ListImageFiles(path) : std::vector<std::string>{ path };
}

/** The file of `folder` whose name without extension is `stem`, or "". */
std::string
SameName(const std::string & folder, const std::string & stem)
{
  for (const auto & f : Files(folder))
  {
    if (fs::path(SplitExtension(f).first).filename() == stem)
    {
      return f;
    }
  }
  return "";
}

template <unsigned int D>
cv::Mat
Overlay(const std::string & imagePath, const std::string & labelPath, LabelTable & table, OverlayOptions options)
{
  const auto image = ReadIntensityImage<D>(imagePath);
  const auto labels = ReadLabelImage<D>(labelPath);
  CheckSameGrid(image.GetPointer(), imagePath, labels.GetPointer(), labelPath);
  if (table.Empty())
  {
    table = GetLabelTable(labels, labelPath);
  }
  options.legend = false;
  options.minimumPanel = 0;
  return RenderOverlay<D>(image, labels, table, options);
}

cv::Mat
Titled(const cv::Mat & view, const std::string & title, int height)
{
  cv::Mat scaled;
  const int width = std::max(1, static_cast<int>(std::lround(view.cols * double(height) / view.rows)));
  cv::resize(view, scaled, cv::Size(width, height), 0, 0, view.rows > height ? cv::INTER_AREA : cv::INTER_NEAREST);
  cv::copyMakeBorder(scaled, scaled, 24, 0, 0, 0, cv::BORDER_CONSTANT, Background);
  cv::putText(scaled, title, cv::Point(4, 17), cv::FONT_HERSHEY_SIMPLEX, 0.5, TextColour, 1, cv::LINE_AA);
  return scaled;
}
} // namespace

std::vector<ContactSheetRow>
MatchContactSheetRows(const std::string & images, const std::string & labels, const std::string & references)
{
  std::vector<ContactSheetRow> rows;
  std::error_code              ec;
  const bool                   single = !fs::is_directory(images, ec);
  for (const auto & image : Files(images))
  {
    const std::string stem = fs::path(SplitExtension(image).first).filename().string();
    ContactSheetRow   row{ image, single ? labels : SameName(labels, stem), "" };
    if (row.labels.empty())
    {
      throw Error(labels, "holds no label image named " + stem + " (for " + image + ")");
    }
    if (!references.empty())
    {
      row.reference = single ? references : SameName(references, stem);
      if (row.reference.empty())
      {
        throw Error(references, "holds no reference named " + stem + " (for " + image + ")");
      }
    }
    rows.push_back(row);
  }
  if (rows.empty())
  {
    throw Error(images, "the folder holds no image files");
  }
  return rows;
}

cv::Mat
RenderContactSheet(const std::vector<ContactSheetRow> & rows, const LabelTable & table, const OverlayOptions & options,
                   int rowHeight)
{
  LabelTable           shownTable = table;
  std::vector<cv::Mat> lines;
  int                  width = 0;
  for (const auto & row : rows)
  {
    const unsigned int   d = ReadImageInfo(row.image).dimension;
    std::vector<cv::Mat> views;
    for (const auto & [labels, what] : { std::pair{ row.labels, std::string() }, std::pair{ row.reference, std::string(" (reference)") } })
    {
      if (labels.empty())
      {
        continue;
      }
      if (d != 2 && d != 3)
      {
        throw Error(row.image, "is a " + std::to_string(d) + "D image; 2D or 3D expected");
      }
      const cv::Mat view = d == 2 ? Overlay<2>(row.image, labels, shownTable, options)
                                  : Overlay<3>(row.image, labels, shownTable, options);
      views.push_back(Titled(view, fs::path(labels).filename().string() + what, rowHeight));
      if (views.size() > 1)
      {
        cv::copyMakeBorder(views.back(), views.back(), 0, 0, 6, 0, cv::BORDER_CONSTANT, Background);
      }
    }
    cv::Mat line;
    cv::hconcat(views, line);
    cv::copyMakeBorder(line, line, 0, 6, 0, 0, cv::BORDER_CONSTANT, Background);
    width = std::max(width, line.cols);
    lines.push_back(line);
  }
  for (auto & line : lines)
  {
    cv::copyMakeBorder(line, line, 0, 0, 0, width - line.cols, cv::BORDER_CONSTANT, Background);
  }
  cv::Mat sheet;
  cv::vconcat(lines, sheet);
  if (options.legend && !shownTable.Empty())
  {
    const auto ids = shownTable.Labels();
    const cv::Mat legend = RenderLegend(std::set<LabelPixel>(ids.begin(), ids.end()), shownTable, width);
    cv::vconcat(sheet, legend, sheet);
  }
  return sheet;
}
} // namespace tessera

/** The contact-sheet stage (registered in tesseraCommonStages.cxx, which loads this module): one
 * overlay per input image, beside its reference's when given, for looking over a folder. */
extern "C" void
tesseraRunContactSheet(tessera::StageContext & c)
{
  using namespace tessera;
  const auto rows = MatchContactSheetRows(c.InputPaths("input").front(), c.InputPaths("segmentation").front(),
                                          c.HasInput("reference") ? c.InputPaths("reference").front() : "");
  OverlayOptions options;
  options.opacity = c.Parameters().Real("opacity");
  options.outline = c.Parameters().Boolean("outline");
  const cv::Mat sheet = RenderContactSheet(rows, c.InputLabelTable("labels"), options,
                                           static_cast<int>(c.Parameters().Integer("row-height")));
  c.SetWriter("output", [sheet](const std::string & path) { WritePng(sheet, path); });
  c.Report(std::to_string(rows.size()) + " images, " + std::to_string(sheet.cols) + " x " +
           std::to_string(sheet.rows) + " px");
}
