#include "tesseraOverlay.h"

#include <algorithm>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"

namespace tessera
{
namespace
{
/** One 2D view: intensities [rows, cols, channels] as float and labels [rows, cols]. */
struct Slice
{
  cv::Mat intensity; // CV_32FC(nc)
  cv::Mat labels;    // CV_16U
};

template <unsigned int D>
Slice
ExtractSlice(const VectorImage<D> * image, const LabelImage<D> * labels, unsigned int rowAxis, unsigned int colAxis,
             itk::IndexValueType fixedIndex)
{
  const auto         size = image->GetLargestPossibleRegion().GetSize();
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const int          rows = static_cast<int>(size[rowAxis]);
  const int          cols = static_cast<int>(size[colAxis]);
  Slice              s{ cv::Mat(rows, cols, CV_32FC(std::min(nc, 4u))), cv::Mat(rows, cols, CV_16U) };
  typename VectorImage<D>::IndexType index;
  index.Fill(fixedIndex);
  for (int r = 0; r < rows; ++r)
  {
    for (int c = 0; c < cols; ++c)
    {
      index[rowAxis] = r;
      index[colAxis] = c;
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

cv::Mat
Render(const Slice & s, float lo, float hi, const LabelTable & table, double opacity)
{
  cv::Mat grey;
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
      const double a = border ? 1.0 : opacity;
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

template <unsigned int D>
void
WriteOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
             const std::string & path, double opacity)
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

  std::vector<cv::Mat> views;
  const auto           size = image->GetLargestPossibleRegion().GetSize();
  const auto &         spacing = image->GetSpacing();
  const double         finest = *std::min_element(spacing.Begin(), spacing.End());
  // Views are stretched to physical aspect (anisotropic voxels would look squashed otherwise).
  auto toScale = [&](cv::Mat view, unsigned int rowAxis, unsigned int colAxis) {
    const cv::Size physical(static_cast<int>(std::lround(view.cols * spacing[colAxis] / finest)),
                            static_cast<int>(std::lround(view.rows * spacing[rowAxis] / finest)));
    if (physical != view.size())
    {
      cv::resize(view, view, physical, 0, 0, cv::INTER_NEAREST);
    }
    return view;
  };
  if constexpr (D == 2)
  {
    views.push_back(toScale(Render(ExtractSlice<2>(image, labels, 1, 0, 0), lo, hi, table, opacity), 1, 0));
  }
  else
  {
    // Axial (rows = y), coronal and sagittal (rows = z, flipped so superior is up).
    const auto mid = [&](unsigned int axis) { return static_cast<itk::IndexValueType>(size[axis] / 2); };
    views.push_back(toScale(Render(ExtractSlice<3>(image, labels, 1, 0, mid(2)), lo, hi, table, opacity), 1, 0));
    for (unsigned int fixed : { 1u, 0u })
    {
      const unsigned int colAxis = fixed == 1 ? 0 : 1;
      cv::Mat view = Render(ExtractSlice<3>(image, labels, 2, colAxis, mid(fixed)), lo, hi, table, opacity);
      cv::flip(view, view, 0);
      views.push_back(toScale(view, 2, colAxis));
    }
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
    cv::copyMakeBorder(views[i], views[i], 0, rows - views[i].rows, 0, gap, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  }
  cv::Mat canvas;
  cv::hconcat(views, canvas);
  AtomicOutput out(path);
  bool         ok = false;
  try
  {
    ok = cv::imwrite(out.TemporaryPath(), canvas);
  }
  catch (const cv::Exception & e)
  {
    throw Error(path, std::string("cannot be written: ") + e.what());
  }
  if (!ok)
  {
    throw Error(path, "cannot be written (use a .png or .jpg extension)");
  }
  out.Commit();
}

template void WriteOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &, const std::string &,
                              double);
template void WriteOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &, const std::string &,
                              double);
} // namespace tessera
