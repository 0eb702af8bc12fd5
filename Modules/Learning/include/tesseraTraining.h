#ifndef tesseraTraining_h
#define tesseraTraining_h

#include <string>

/** \file `tessera train` and `tessera predict` as functions, torch-free so the launcher does not
 * compile LibTorch headers. See Documentation/Applications/train.md and predict.md. */
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

struct PredictionRequest
{
  std::string  model;
  std::string  input;          ///< image file, or folder of images
  std::string  output;         ///< label file, or folder (with a folder input)
  std::string  probabilities;  ///< optional: file, or folder (written as <stem>.nii.gz)
  std::string  overlay;        ///< optional: PNG file, or folder (<stem>.png)
  std::string  extension;      ///< label file extension for folder outputs ("" = the input's; .jpg → .png)
  bool         tta = false;
  bool         classIndices = false; ///< write classes 0..C-1 (and C probability components) instead of output values
  double       overlap = 0.5;
  std::string  window;         ///< "HxW" / "DxHxW" override of the model's window; "" = the training crop
  std::string  device = "auto"; ///< auto | cpu | cuda
  int          batch = 4;
  unsigned int threads = 0;
  bool         quiet = false;
};

/** Predicts labels (and optionally probabilities and overlays) on the input's grid.
 * Everything is checked before any output is written. \throws Error naming the file at fault. */
void RunPrediction(const PredictionRequest & request);
} // namespace tessera

#endif
