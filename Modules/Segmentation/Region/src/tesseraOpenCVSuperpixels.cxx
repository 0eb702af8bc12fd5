// Module TesseraOpenCVSuperpixels: the OpenCV ximgproc superpixels of SuperpixelImageFilter. It is
// loaded on first use (tesseraModuleLoader.h) because ximgproc brings OpenCV's codecs, GDAL and a
// hundred more libraries (~90 ms and 45 MB at start-up) that no other command needs.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>
#include <opencv2/ximgproc/segmentation.hpp>

#include "tesseraError.h"
#include "tesseraSuperpixels.h"

namespace
{
/** An 8-bit cv::Mat (rows = y) of a 2D image: RGB → OpenCV's 8-bit L*a*b* when lab, grey and
 * other channel counts scaled to 0–255 over their range unless already within it. */
cv::Mat
ToMat(const tessera::VectorImage<2> * image, bool lab)
{
  const auto         size = image->GetLargestPossibleRegion().GetSize();
  const int          w = static_cast<int>(size[0]), h = static_cast<int>(size[1]);
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = size_t(w) * h;
  const float *      p = image->GetBufferPointer();
  const auto [lo, hi] = std::minmax_element(p, p + n * nc);
  const bool   byte = *lo >= 0.0f && *hi <= 255.0f && *hi > 1.0f;
  const bool   unit = *lo >= 0.0f && *hi <= 1.0f;
  const double a = byte ? 1.0 : unit ? 255.0 : (*hi > *lo ? 255.0 / (*hi - *lo) : 1.0);
  const double b = byte || unit ? 0.0 : -*lo * a;
  cv::Mat      mat(h, w, CV_MAKETYPE(CV_32F, static_cast<int>(nc)));
  std::copy(p, p + n * nc, mat.ptr<float>());
  cv::Mat bytes;
  mat.convertTo(bytes, CV_MAKETYPE(CV_8U, static_cast<int>(nc)), a, b);
  if (lab && nc == 3)
  {
    cv::cvtColor(bytes, bytes, cv::COLOR_RGB2Lab);
  }
  return bytes;
}
} // namespace

/** Superpixels of a 2D image by an OpenCV method of `o.method`: `out` receives one label per
 * pixel, x fastest (the image's buffer order). \throws Error("method") for other methods. */
extern "C" void
tesseraOpenCVSuperpixels(const tessera::VectorImage<2> * image, const tessera::SuperpixelOptions & o,
                         std::vector<int> & out)
{
  using tessera::SuperpixelMethod;
  // Felzenszwalb-Huttenlocher weigh RGB distances (as the paper, scikit-image and OpenCV do), so
  // the same scale, sigma and minimum size give OpenCV's own segmentation.
  const cv::Mat mat = ToMat(image, o.lab && o.method != SuperpixelMethod::Felzenszwalb);
  cv::Mat       labels;
  const double  pixels = double(mat.rows) * mat.cols;
  const int     regionSize = std::max(2, static_cast<int>(std::lround(std::sqrt(pixels / o.segments))));
  switch (o.method)
  {
    case SuperpixelMethod::OpenCVSLIC:
    case SuperpixelMethod::SLICO:
    case SuperpixelMethod::MSLIC:
    {
      const int algorithm = o.method == SuperpixelMethod::OpenCVSLIC ? cv::ximgproc::SLIC
                            : o.method == SuperpixelMethod::SLICO    ? cv::ximgproc::SLICO
                                                                     : cv::ximgproc::MSLIC;
      auto s = cv::ximgproc::createSuperpixelSLIC(mat, algorithm, regionSize, static_cast<float>(o.compactness));
      s->iterate(static_cast<int>(o.iterations));
      s->enforceLabelConnectivity(25);
      s->getLabels(labels);
      break;
    }
    case SuperpixelMethod::SEEDS:
    {
      auto s = cv::ximgproc::createSuperpixelSEEDS(mat.cols, mat.rows, mat.channels(), static_cast<int>(o.segments),
                                                   static_cast<int>(o.seedsLevels), 2,
                                                   static_cast<int>(o.seedsBins), false);
      s->iterate(mat, static_cast<int>(o.iterations));
      s->getLabels(labels);
      break;
    }
    case SuperpixelMethod::LSC:
    {
      auto s = cv::ximgproc::createSuperpixelLSC(mat, regionSize, static_cast<float>(o.compactness / 100.0));
      s->iterate(static_cast<int>(o.iterations));
      s->enforceLabelConnectivity(20);
      s->getLabels(labels);
      break;
    }
    case SuperpixelMethod::Felzenszwalb:
    {
      auto s = cv::ximgproc::segmentation::createGraphSegmentation(o.sigma, static_cast<float>(o.scale),
                                                                   static_cast<int>(o.minimumSize));
      s->processImage(mat, labels);
      break;
    }
    default:
      throw tessera::Error("method", "not an OpenCV method");
  }
  CV_Assert(labels.type() == CV_32S && labels.isContinuous());
  out.assign(labels.ptr<int>(), labels.ptr<int>() + labels.total());
}
