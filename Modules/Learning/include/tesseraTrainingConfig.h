#ifndef tesseraTrainingConfig_h
#define tesseraTrainingConfig_h

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tesseraImageIO.h"
#include "tesseraImageTypes.h"
#include "tesseraNetworkOptions.h"

/** \file The JSON configuration of `tessera train` (Documentation/Applications/train.md).
 * Torch-free so that parsing and its errors cost no LibTorch compile. */
namespace tessera
{
/** Pairs of image and label files. */
struct DatasetFiles
{
  std::vector<std::string> images;
  std::vector<std::string> labels;
};

struct AugmentationOptions
{
  double scaleMin = 1.0, scaleMax = 1.0; ///< random zoom factor range (1 = none)
  bool   flip = true;                    ///< random flips along every spatial axis
  bool   rot90 = true;                   ///< random quarter turns in the (H, W) plane (square crops)
  double brightness = 0.0;               ///< ± additive shift, in standard deviations of the normalised image
  double contrast = 0.0;                 ///< ± relative contrast change (0.2 = factor in [0.8, 1.2])
};

/** semi_supervised: FixMatch-style training on data.unlabelled (tesseraSemiSupervised.h). */
struct SemiSupervisedOptions
{
  std::vector<std::string> images;          ///< data.unlabelled: images without labels
  double                   weight = 1.0;    ///< weight of the pseudo-label loss beside the supervised one
  double                   threshold = 0.95; ///< confidence a teacher's class needs to become a pseudo-label
  std::string              teacher = "weak"; ///< weak (one view) | p4 | p4m (mean over the group's views)
  double brightness = 0.4, contrast = 0.4, blur = 0.5, cutmix = 0.5; ///< the strong view (StrongAugmentation)
};

/** weak_supervision: hidden labels by Potts graph cuts for partially labelled images (tesseraWeakSupervision.h). */
struct WeakSupervisionOptions
{
  double pottsBeta = 0.0;    ///< β of the Potts term, nats per label change (0 = off: partial labels as given)
  int    warmupEpochs = 5;   ///< epochs on the given labels alone before the first hidden labels
  int    updateEvery = 1;    ///< epochs between updates of the hidden labels
};

/** pseudo_labels: labels made by a classical pipeline for images without manual labels (tesseraPseudoLabels.h). */
struct PseudoLabelOptions
{
  std::string                        pipeline;    ///< pipeline file ("" = off): $input = each image, $output = its labels or probabilities
  std::vector<std::string>           images;      ///< the images it labels
  std::map<std::string, std::string> variables;   ///< the pipeline's other $variables ("set")
  std::map<int, int>                 labelValues; ///< pipeline label → label value of this config (empty = the same)
  double                             threshold = 0.0; ///< probability outputs: pixels whose largest probability is lower are left out
  int                                margin = 0;      ///< pixels within this many pixels of another label are left out
};

struct TrainingConfig
{
  std::string  configPath;   ///< the file read (for messages); relative paths are resolved against its folder
  std::string  output;       ///< output folder: best.pt, last.pt, training.csv, config.json
  DatasetFiles train, val;   ///< val may be empty: then train loss drives the scheduler and checkpoints

  std::string                 labelFormat = "index"; ///< index (grey values) | rgb (colours via the label table)
  std::string                 labelTablePath;        ///< "" = none
  nlohmann::json              labelTable;            ///< the table's JSON (null = none)
  std::map<int, int>          remap;                 ///< raw label value → class (-1 = ignore); empty = identity
  std::vector<int>            ignoreValues;          ///< raw label values ignored (plus the table's ignore flags)
  std::vector<LabelPixel>     outputValues;          ///< label written for class c (derived when not given)
  /** For rgb labels: colour (r,g,b packed as r<<16|g<<8|b) → raw label value, from the table. */
  std::map<uint32_t, int>     colourToValue;

  NetworkOptions network;
  bool           classesGiven = false;
  bool           inChannelsGiven = false;
  nlohmann::json loss = "cross_entropy+dice";

  double learningRate = 1e-3, weightDecay = 0.0;
  double plateauFactor = 0.5;   ///< ReduceLROnPlateau on the val loss: lr *= factor ...
  int    plateauPatience = 5;   ///< ... after this many epochs without improvement
  double minLearningRate = 1e-6;
  int    earlyStopping = 0;     ///< stop after this many epochs without a better monitored value (0 = off)
  std::string monitor = "val_miou"; ///< what "best" means: val_miou (higher) | val_loss (lower)

  std::vector<int64_t> cropSize{ 256, 256 }; ///< (D,) H, W pixels
  int    batchSize = 4;
  int    epochs = 50;
  int    stepsPerEpoch = 0;      ///< 0 = training pixels / crop pixels / batch size (at least 1)
  int    workers = 1;            ///< threads preparing the next batch while the network trains
  double maxMinutes = 0.0;       ///< wall-clock budget of this run (0 = none); stops and keeps the best checkpoint
  double inputScale = 1.0;       ///< resample images by this factor before everything (e.g. 0.5 on a CPU)
  double valOverlap = 0.25;      ///< sliding-window overlap of validation inference
  AugmentationOptions augmentation;
  /** equivariance_loss: weight of the consistency term mean((softmax f(T_g x) − T_g softmax f(x))²), g drawn
   * each step from the group's turns and mirror images (0 = off; 2D, square crops). */
  double      equivarianceWeight = 0.0;
  std::string equivarianceGroup = "p4m"; ///< equivariance_loss.group: p4 | p4m
  SemiSupervisedOptions  semi;
  PseudoLabelOptions     pseudo;
  WeakSupervisionOptions weak;

  int Classes() const { return network.classes; }
  /** Maps a raw label value to a class index, -1 for ignored; throws Error(file, ...) for
   * values the config does not know. */
  int ClassOf(int value, const std::string & file) const;
};

/** Reads and checks a config. \throws Error(path, "<key>: ...") for unreadable JSON, unknown keys
 * (naming the key), wrong types, missing files and inconsistent class settings. */
TrainingConfig ReadTrainingConfig(const std::string & path);
} // namespace tessera

#endif
