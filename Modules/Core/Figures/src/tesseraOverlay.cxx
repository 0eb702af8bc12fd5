#include "tesseraOverlay.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraPlot.h"

namespace tessera
{
namespace
{
const cv::Scalar Background(32, 32, 32);
const cv::Scalar TextColour(235, 235, 235);

/** One 2D view: intensities [rows, cols, channels] as float and labels [rows, cols]. */
struct Slice
{
  cv::Mat     intensity; // CV_32FC(nc)
  cv::Mat     labels;    // CV_16U
  std::string title;
};

/** A view through a volume: the voxel axes along its rows and columns, whether each runs against
 * the display direction (then the view is flipped), and the index of the slice on the third axis. */
struct ViewAxes
{
  unsigned int         rowAxis = 1, colAxis = 0, fixedAxis = 2;
  bool                 flipRows = false, flipCols = false;
  itk::IndexValueType  fixedIndex = 0;
};

template <unsigned int D>
Slice
ExtractSlice(const VectorImage<D> * image, const LabelImage<D> * labels, const ViewAxes & v)
{
  const auto         size = image->GetLargestPossibleRegion().GetSize();
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const int          rows = static_cast<int>(size[v.rowAxis]);
  const int          cols = static_cast<int>(size[v.colAxis]);
  Slice              s{ cv::Mat(rows, cols, CV_32FC(std::min(nc, 4u))), cv::Mat(rows, cols, CV_16U), "" };
  typename VectorImage<D>::IndexType index;
  index.Fill(0);
  if (D == 3)
  {
    index[v.fixedAxis] = v.fixedIndex;
  }
  for (int r = 0; r < rows; ++r)
  {
    for (int c = 0; c < cols; ++c)
    {
      index[v.rowAxis] = v.flipRows ? rows - 1 - r : r;
      index[v.colAxis] = v.flipCols ? cols - 1 - c : c;
      const auto pixel = image->GetPixel(index);
      float *    out = s.intensity.ptr<float>(r) + c * s.intensity.channels();
      for (int k = 0; k < s.intensity.channels(); ++k)
      {
        out[k] = pixel[k];
      }
      s.labels.at<uint16_t>(r, c) = labels->GetPixel(index);
    }
  }
  return s;
}

/** The voxel axis that runs closest to each patient axis (L, P, S), and its sign: the largest
 * direction cosines are paired first, so an oblique volume still gets three distinct axes. */
std::array<std::pair<unsigned int, bool>, 3>
VoxelAxesOfPatientAxes(const itk::Matrix<double, 3, 3> & direction)
{
  std::array<std::pair<unsigned int, bool>, 3> result{};
  std::array<bool, 3>                           patientUsed{}, voxelUsed{};
  for (int k = 0; k < 3; ++k)
  {
    double best = -1;
    int    bp = 0, bv = 0;
    for (int p = 0; p < 3; ++p)
    {
      for (int v = 0; v < 3; ++v)
      {
        if (!patientUsed[p] && !voxelUsed[v] && std::fabs(direction[p][v]) > best)
        {
          best = std::fabs(direction[p][v]);
          bp = p;
          bv = v;
        }
      }
    }
    patientUsed[bp] = voxelUsed[bv] = true;
    result[bp] = { static_cast<unsigned int>(bv), direction[bp][bv] > 0 };
  }
  return result;
}

cv::Mat
Render(const Slice & s, float lo, float hi, const LabelTable & table, const OverlayOptions & options)
{
  std::vector<cv::Mat> ch;
  cv::split(s.intensity, ch);
  cv::Mat bgr;
  if (ch.size() >= 3)
  {
    cv::merge(std::vector<cv::Mat>{ ch[2], ch[1], ch[0] }, bgr);
  }
  else
  {
    cv::merge(std::vector<cv::Mat>{ ch[0], ch[0], ch[0] }, bgr);
  }
  bgr.convertTo(bgr, CV_8UC3, 255.0 / std::max(1e-6f, hi - lo), -lo * 255.0 / std::max(1e-6f, hi - lo));
  const double inside = options.outline ? 0.0 : options.opacity;
  for (int r = 0; r < bgr.rows; ++r)
  {
    for (int c = 0; c < bgr.cols; ++c)
    {
      const uint16_t l = s.labels.at<uint16_t>(r, c);
      // Label 0 is a class when the table lists it (ISBI's membranes); ignored labels stay bare.
      if ((l == 0 && !table.Contains(0)) || table.IsIgnored(l))
      {
        continue;
      }
      const auto rgb = table.Color(l);
      const bool border = (r > 0 && s.labels.at<uint16_t>(r - 1, c) != l) ||
                          (c > 0 && s.labels.at<uint16_t>(r, c - 1) != l) ||
                          (r + 1 < bgr.rows && s.labels.at<uint16_t>(r + 1, c) != l) ||
                          (c + 1 < bgr.cols && s.labels.at<uint16_t>(r, c + 1) != l);
      const double a = border ? 1.0 : inside;
      auto &       px = bgr.at<cv::Vec3b>(r, c);
      for (int k = 0; k < 3; ++k)
      {
        px[k] = cv::saturate_cast<uint8_t>((1 - a) * px[k] + a * rgb[2 - k]);
      }
    }
  }
  return bgr;
}

} // namespace

cv::Mat
RenderLegend(const std::set<LabelPixel> & shown, const LabelTable & table, int width)
{
  constexpr int    maxEntries = 40, line = 22, swatch = 14, pad = 8;
  constexpr double scale = 0.45;
  // Region maps (superpixels, instances) have too many labels to list: then only their count.
  const bool                                      many = shown.size() > maxEntries;
  std::vector<std::pair<LabelPixel, std::string>> entries;
  if (many)
  {
    entries.emplace_back(0, std::to_string(shown.size()) + " labels");
  }
  for (const LabelPixel l : many ? std::set<LabelPixel>{} : shown)
  {
    entries.emplace_back(l, std::to_string(l) + " " + table.Name(l));
  }
  // Lay out entries left to right, wrapping, then draw.
  std::vector<cv::Point> at;
  int                    x = pad, y = pad;
  for (const auto & e : entries)
  {
    int        base = 0;
    const int  w = swatch + 6 + cv::getTextSize(e.second, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base).width + 16;
    if (x > pad && x + w > width)
    {
      x = pad;
      y += line;
    }
    at.emplace_back(x, y);
    x += w;
  }
  cv::Mat strip(y + line + pad / 2, width, CV_8UC3, Background);
  for (size_t i = 0; i < entries.size(); ++i)
  {
    if (!many)
    {
      const auto c = table.Color(entries[i].first);
      cv::rectangle(strip, cv::Rect(at[i].x, at[i].y + 2, swatch, swatch), cv::Scalar(c[2], c[1], c[0]), cv::FILLED);
      cv::rectangle(strip, cv::Rect(at[i].x, at[i].y + 2, swatch, swatch), TextColour, 1);
    }
    cv::putText(strip, entries[i].second, cv::Point(at[i].x + (many ? 0 : swatch + 6), at[i].y + swatch),
                cv::FONT_HERSHEY_SIMPLEX, scale, TextColour, 1, cv::LINE_AA);
  }
  return strip;
}

template <unsigned int D>
cv::Mat
RenderOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
              const OverlayOptions & options)
{
  CheckSameGrid(image, "image", labels, "labels");
  // Percentile stretch over all components, from a subsample for speed.
  const float *      data = image->GetBufferPointer();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels() * image->GetNumberOfComponentsPerPixel();
  std::vector<float> sample;
  const size_t       stride = std::max<size_t>(1, n / 200000);
  for (size_t i = 0; i < n; i += stride)
  {
    sample.push_back(data[i]);
  }
  std::sort(sample.begin(), sample.end());
  const float lo = sample[sample.size() / 100];
  const float hi = sample[sample.size() * 99 / 100];

  const auto & spacing = image->GetSpacing();
  std::vector<std::pair<Slice, std::array<double, 2>>> slices; // each with its row and column spacing
  if constexpr (D == 2)
  {
    slices.emplace_back(ExtractSlice<2>(image, labels, ViewAxes{}), std::array<double, 2>{ spacing[1], spacing[0] });
  }
  else
  {
    const auto size = image->GetLargestPossibleRegion().GetSize();
    const auto axes = VoxelAxesOfPatientAxes(image->GetDirection().GetVnlMatrix().as_ref());
    // Each view: (title, patient axis along columns, along rows, rows run towards -patient axis, fixed axis).
    struct Anatomy
    {
      const char * title;
      int          col, row;
      bool         rowsDescend;
      int          fixed;
    };
    for (const Anatomy & a : { Anatomy{ "axial", 0, 1, false, 2 }, Anatomy{ "coronal", 0, 2, true, 1 },
                               Anatomy{ "sagittal", 1, 2, true, 0 } })
    {
      ViewAxes v;
      v.colAxis = axes[a.col].first;
      v.rowAxis = axes[a.row].first;
      v.fixedAxis = axes[a.fixed].first;
      v.flipCols = !axes[a.col].second;
      v.flipRows = axes[a.row].second == a.rowsDescend;
      // The middle slice counted from the same patient side, so storage order does not move it.
      const auto extent = static_cast<itk::IndexValueType>(size[v.fixedAxis]);
      v.fixedIndex = axes[a.fixed].second ? extent / 2 : extent - 1 - extent / 2;
      Slice s = ExtractSlice<3>(image, labels, v);
      s.title = a.title;
      slices.emplace_back(std::move(s), std::array<double, 2>{ spacing[v.rowAxis], spacing[v.colAxis] });
    }
  }
  // Physical aspect from the spacing (finest axis = 1 px), then a whole enlargement factor.
  const double finest = *std::min_element(spacing.Begin(), spacing.End());
  int          smallest = std::numeric_limits<int>::max();
  std::vector<cv::Size> sizes;
  for (const auto & [s, sp] : slices)
  {
    sizes.emplace_back(static_cast<int>(std::lround(s.labels.cols * sp[1] / finest)),
                       static_cast<int>(std::lround(s.labels.rows * sp[0] / finest)));
    smallest = std::min(smallest, std::max(sizes.back().width, sizes.back().height));
  }
  const int factor = std::max(1, (options.minimumPanel + smallest - 1) / std::max(1, smallest));
  std::set<LabelPixel>  shown;
  std::vector<cv::Mat>  views;
  const bool            titled = D == 3;
  const int             titleHeight = titled ? 26 : 0;
  for (size_t i = 0; i < slices.size(); ++i)
  {
    Slice & s = slices[i].first;
    const cv::Size display(sizes[i].width * factor, sizes[i].height * factor);
    if (display != s.labels.size())
    {
      // Nearest neighbour keeps labels and voxels crisp; borders are then one display pixel wide.
      cv::resize(s.intensity, s.intensity, display, 0, 0, cv::INTER_NEAREST);
      cv::resize(s.labels, s.labels, display, 0, 0, cv::INTER_NEAREST);
    }
    for (int r = 0; r < s.labels.rows; ++r)
    {
      for (int c = 0; c < s.labels.cols; ++c)
      {
        const LabelPixel l = s.labels.at<uint16_t>(r, c);
        if ((l != 0 || table.Contains(0)) && !table.IsIgnored(l))
        {
          shown.insert(l);
        }
      }
    }
    cv::Mat view = Render(s, lo, hi, table, options);
    if (titled)
    {
      cv::copyMakeBorder(view, view, titleHeight, 0, 0, 0, cv::BORDER_CONSTANT, Background);
      cv::putText(view, s.title, cv::Point(6, 19), cv::FONT_HERSHEY_SIMPLEX, 0.6, TextColour, 1, cv::LINE_AA);
    }
    views.push_back(view);
  }
  int rows = 0;
  for (const auto & v : views)
  {
    rows = std::max(rows, v.rows);
  }
  for (size_t i = 0; i < views.size(); ++i)
  {
    // A 4-pixel gap between views, none after the last.
    const int gap = i + 1 < views.size() ? 4 : 0;
    cv::copyMakeBorder(views[i], views[i], 0, rows - views[i].rows, 0, gap, cv::BORDER_CONSTANT, Background);
  }
  cv::Mat canvas;
  cv::hconcat(views, canvas);
  if (options.legend && !shown.empty())
  {
    cv::vconcat(canvas, RenderLegend(shown, table, canvas.cols), canvas);
  }
  return canvas;
}

template cv::Mat RenderOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &,
                                  const OverlayOptions &);
template cv::Mat RenderOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &,
                                  const OverlayOptions &);
} // namespace tessera

/** Entry points of WriteOverlay<D> (tesseraFigureFiles.h), which loads this module. */
extern "C" void
tesseraWriteOverlay2(const tessera::VectorImage<2> * image, const tessera::LabelImage<2> * labels,
                     const tessera::LabelTable & table, const std::string & path, const tessera::OverlayOptions & options)
{
  tessera::WritePng(tessera::RenderOverlay<2>(image, labels, table, options), path);
}

extern "C" void
tesseraWriteOverlay3(const tessera::VectorImage<3> * image, const tessera::LabelImage<3> * labels,
                     const tessera::LabelTable & table, const std::string & path, const tessera::OverlayOptions & options)
{
  tessera::WritePng(tessera::RenderOverlay<3>(image, labels, table, options), path);
}
