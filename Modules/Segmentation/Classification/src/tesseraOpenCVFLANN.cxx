// Module TesseraOpenCVFLANN: the exact k-d tree search of KNNClassifier, on OpenCV's FLANN. It is
// loaded on first use (tesseraModuleLoader.h) so that commands without a kNN classifier never load
// OpenCV and the BLAS and LAPACK it binds at start-up.
#include <cstddef>

#include <opencv2/core.hpp>
#include <opencv2/flann.hpp>

namespace
{
struct KdTree
{
  cv::Mat          data;
  cv::flann::Index index;
};
} // namespace

/** A k-d tree over `n` points of `dimension` floats at `samples` (row-major [n, dimension]),
 * which must outlive it: the tree reads them in place. Free it with tesseraKdTreeFree. */
extern "C" void *
tesseraKdTreeBuild(const float * samples, std::size_t n, unsigned int dimension)
{
  auto * tree = new KdTree;
  tree->data = cv::Mat(static_cast<int>(n), static_cast<int>(dimension), CV_32F, const_cast<float *>(samples));
  // The tree's split dimensions are drawn from OpenCV's RNG of this thread: a fixed seed gives every build of a
  // model the same tree, so that training samples at equal distances from a pixel are chosen the same way each
  // time (tiles of one image, or its whole, label alike).
  const cv::RNG drawn = cv::theRNG();
  cv::theRNG() = cv::RNG(0x5eed);
  tree->index.build(tree->data, cv::flann::KDTreeIndexParams(1), cvflann::FLANN_DIST_L2);
  cv::theRNG() = drawn;
  return tree;
}

/** The `k` nearest points of each of `m` queries (row-major [m, dimension]) by Euclidean
 * distance, searched exactly (unlimited checks): `indices` receives [m, k] point indices, nearest
 * first. Safe to call from several threads on one tree. */
extern "C" void
tesseraKdTreeSearch(void * tree, const float * queries, std::size_t m, unsigned int dimension, unsigned int k,
                    int * indices)
{
  const cv::Mat query(static_cast<int>(m), static_cast<int>(dimension), CV_32F, const_cast<float *>(queries));
  cv::Mat       found(static_cast<int>(m), static_cast<int>(k), CV_32S, indices);
  cv::Mat       distances;
  static_cast<KdTree *>(tree)->index.knnSearch(query, found, distances, static_cast<int>(k), cv::flann::SearchParams(-1));
}

extern "C" void
tesseraKdTreeFree(void * tree)
{
  delete static_cast<KdTree *>(tree);
}
