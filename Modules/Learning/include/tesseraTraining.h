#ifndef tesseraTraining_h
#define tesseraTraining_h

#include <string>

/** \file `tessera train` as a function, torch-free so the stages do not compile LibTorch
 * headers. See Documentation/Applications/train.md. */
namespace tessera
{
struct TrainingRequest
{
  std::string  config;          ///< JSON config (tesseraTrainingConfig.h)
  std::string  output;          ///< overrides the config's "output" folder when not empty
  bool         seedGiven = false;
  unsigned int seed = 0;        ///< with seedGiven: deterministic run (initialisation, sampling, augmentation)
  bool         resume = false;  ///< continue from <output>/last.pt
  unsigned int threads = 0;     ///< LibTorch intra-op threads (0 = all cores)
  bool         quiet = false;
};

/** Trains and writes <output>/best.pt, last.pt, training.csv, config.json.
 * \throws Error naming the file or key at fault. */
void RunTraining(const TrainingRequest & request);

/** Writes a model file's network, normalisation and softmax as a TorchScript file that PyTorch
 * loads with torch.jit.load (see ExportTorchScript()). \throws Error naming the file. */
void ExportModelToTorchScript(const std::string & modelPath, const std::string & outputPath);

} // namespace tessera

#endif
