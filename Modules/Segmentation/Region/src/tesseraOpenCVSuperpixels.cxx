// Module TesseraOpenCVSuperpixels: the OpenCV ximgproc superpixels of SuperpixelImageFilter. It is
// loaded on first use (tesseraModuleLoader.h) because ximgproc brings OpenCV's codecs, GDAL and a
// hundred more libraries (~90 ms and 45 MB at start-up) that no other command needs.
#include <algorithm>
#include <cmath>

#include <opencv2/ximgproc.hpp>
#include <opencv2/ximgproc/segmentation.hpp>

#include "tesseraError.h"
#include "tesseraSuperpixels.h"

/** Superpixels of `mat` (8-bit or float, 1–3 channels, rows × cols) by an OpenCV method of
 * `o.method`: `labels` becomes CV_32S rows × cols. \throws Error("method") for other methods. */
extern "C" void
tesseraOpenCVSuperpixels(const cv::Mat & mat, const tessera::SuperpixelOptions & o, cv::Mat & labels)
{
  using tessera::SuperpixelMethod;
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
}
