// Module TesseraOpenCVForest: the random forests of CorrectiveLearning and their model files, on
// OpenCV's ml module. It is loaded on first use (tesseraModuleLoader.h) so that commands without
// corrective learning never load OpenCV and the BLAS and LAPACK it binds at start-up. No C++
// exception crosses this boundary: failures return null or 0.
#include <algorithm>
#include <cstddef>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

namespace
{
struct ModelFile
{
  cv::FileStorage storage;
  std::string     text; // the last text read
};
} // namespace

/** A regression forest of `trees` trees at most `depth` deep, fitted to `n` rows of `features`
 * floats (row-major [n, features]) and their answers `y`; null on failure. */
extern "C" void *
tesseraForestTrain(const float * x, const float * y, std::size_t n, unsigned int features, unsigned int trees,
                   unsigned int depth)
{
  try
  {
    auto forest = cv::ml::RTrees::create();
    forest->setMaxDepth(static_cast<int>(depth));
    forest->setMinSampleCount(5);
    forest->setRegressionAccuracy(0);
    forest->setUseSurrogates(false);
    forest->setCVFolds(0);
    forest->setActiveVarCount(0); // sqrt(features) per split
    forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, static_cast<int>(trees), 0));
    const cv::Mat samples(static_cast<int>(n), static_cast<int>(features), CV_32F, const_cast<float *>(x));
    const cv::Mat answers(static_cast<int>(n), 1, CV_32F, const_cast<float *>(y));
    forest->train(cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, answers));
    return new cv::Ptr<cv::ml::RTrees>(forest);
  }
  catch (const cv::Exception &)
  {
    return nullptr;
  }
}

/** The forest's mean answer for each of `n` rows (row-major [n, features]) into `out`; 0 on failure. */
extern "C" int
tesseraForestPredict(const void * forest, const float * x, std::size_t n, unsigned int features, float * out)
{
  try
  {
    const cv::Mat samples(static_cast<int>(n), static_cast<int>(features), CV_32F, const_cast<float *>(x));
    cv::Mat       results(static_cast<int>(n), 1, CV_32F, out);
    (*static_cast<const cv::Ptr<cv::ml::RTrees> *>(forest))->predict(samples, results);
    if (results.data != reinterpret_cast<uchar *>(out)) // OpenCV allocated its own
      std::copy_n(results.ptr<float>(), n, out);
    return 1;
  }
  catch (const cv::Exception &)
  {
    return 0;
  }
}

extern "C" void
tesseraForestFree(void * forest)
{
  delete static_cast<cv::Ptr<cv::ml::RTrees> *>(forest);
}

/** An OpenCV FileStorage (its format from the extension: .yml, .json, .xml, each optionally .gz)
 * opened for writing or reading; null when it cannot be opened or parsed. */
extern "C" void *
tesseraModelFileOpen(const char * path, int write)
{
  try
  {
    auto * file = new ModelFile;
    if (!file->storage.open(path, write ? cv::FileStorage::WRITE : cv::FileStorage::READ))
    {
      delete file;
      return nullptr;
    }
    return file;
  }
  catch (const cv::Exception &)
  {
    return nullptr;
  }
}

/** Closes the file; 0 when what was written could not be completed. */
extern "C" int
tesseraModelFileClose(void * file)
{
  auto * f = static_cast<ModelFile *>(file);
  int    done = 1;
  try
  {
    f->storage.release();
  }
  catch (const cv::Exception &)
  {
    done = 0;
  }
  delete f;
  return done;
}

extern "C" int
tesseraModelFileWriteText(void * file, const char * key, const char * text)
{
  try
  {
    // cv::write, not <<: a text opening with '{' or '[' would start a structure.
    cv::write(static_cast<ModelFile *>(file)->storage, key, std::string(text));
    return 1;
  }
  catch (const cv::Exception &)
  {
    return 0;
  }
}

extern "C" int
tesseraModelFileWriteForest(void * file, const char * key, const void * forest)
{
  try
  {
    auto & storage = static_cast<ModelFile *>(file)->storage;
    storage << key << "{";
    (*static_cast<const cv::Ptr<cv::ml::RTrees> *>(forest))->write(storage);
    storage << "}";
    return 1;
  }
  catch (const cv::Exception &)
  {
    return 0;
  }
}

/** The text stored under `key`, valid until the next read or the close; null when absent. */
extern "C" const char *
tesseraModelFileReadText(void * file, const char * key)
{
  auto * f = static_cast<ModelFile *>(file);
  try
  {
    const auto node = f->storage[key];
    if (!node.isString())
      return nullptr;
    f->text = static_cast<std::string>(node);
    return f->text.c_str();
  }
  catch (const cv::Exception &)
  {
    return nullptr;
  }
}

/** The forest stored under `key` (free it with tesseraForestFree); null when absent or damaged. */
extern "C" void *
tesseraModelFileReadForest(void * file, const char * key)
{
  try
  {
    const auto node = static_cast<ModelFile *>(file)->storage[key];
    if (node.empty() || !node.isMap())
      return nullptr;
    auto forest = cv::ml::RTrees::create();
    forest->read(node);
    return forest->isTrained() ? new cv::Ptr<cv::ml::RTrees>(forest) : nullptr;
  }
  catch (const cv::Exception &)
  {
    return nullptr;
  }
}
