// Fuzz target of kNN model files: the first byte picks the extension (JSON or gzipped JSON), the
// rest is the file given to KNNClassifier::Load.
// A model it accepts classifies three pixels, so that what Load checked is what Predict relies
// on. tessera::Error, or any std::exception (OpenCV's included), is a clean refusal.
#include <array>
#include <cstdint>
#include <exception>
#include <vector>

#include "tesseraFuzzInputFile.h"
#include "tesseraKNNClassifier.h"

namespace
{
const std::array<const char *, 2> Extensions{ ".json", ".json.gz" };
}

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  if (size == 0)
  {
    return 0;
  }
  const std::string path = tessera::WriteFuzzFile(std::string("model") + Extensions[data[0] % Extensions.size()],
                                                  data + 1, size - 1);
  try
  {
    const auto         model = tessera::KNNClassifier::Load(path);
    const unsigned int d = model.Dimension();
    std::vector<float> features(3 * d);
    for (size_t i = 0; i < features.size(); ++i)
    {
      features[i] = static_cast<float>(i % 3) - 1.0f;
    }
    model.Predict(tessera::FeatureSamples::PerPixel(features.data(), 3, d, nullptr), 1);
  }
  catch (const std::exception &)
  {
  }
  return 0;
}
