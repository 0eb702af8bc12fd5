#ifndef tesseraModelFile_h
#define tesseraModelFile_h

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tesseraImageTypes.h"
#include "tesseraSegmentationNetwork.h"

/** \file Tessera model files: one file written with torch::serialize::OutputArchive holding
 *   "network"       a sub-archive with the network's parameters and buffers;
 *   "tessera_model" a string: the JSON of ModelInfo (below) — everything `tessera predict` needs;
 *   "optimizer"     (checkpoints for --resume only) a sub-archive with the Adam state;
 *   "training"      (checkpoints only) a string: JSON of the training state. */
namespace tessera
{
struct ModelInfo
{
  NetworkOptions          network;
  std::vector<double>     mean;          ///< per input channel, subtracted before the network
  std::vector<double>     std;           ///< per input channel, divided after subtracting the mean
  std::vector<LabelPixel> outputValues;  ///< label value written for class c (size = classes)
  nlohmann::json          labelTable;    ///< LabelTable JSON ({"labels": [...]}) of the output values, or null
  std::vector<int64_t>    cropSize;      ///< training crop, (D,) H, W in pixels: the inference window
  double                  inputScale = 1.0; ///< images are resampled by this factor before the network
  nlohmann::json          training;      ///< free-form provenance: epoch, val mIoU, config, date

  nlohmann::ordered_json ToJson() const;
  /** \throws Error(subject, ...) for missing or malformed entries. */
  static ModelInfo FromJson(const nlohmann::json & json, const std::string & subject);
};

/** Writes network + info (+ optional extra archives) atomically to path. \throws Error(path, ...). */
void SaveModel(const std::string & path, SegmentationNetworkImpl & network, const ModelInfo & info,
               const torch::optim::Optimizer * optimizer = nullptr, const nlohmann::json & trainingState = nullptr);

struct LoadedModel
{
  SegmentationNetworkPointer network;  ///< built with MakeNetwork(info.network), weights loaded, on the CPU
  ModelInfo                  info;
  nlohmann::json             trainingState; ///< null for plain models
};

/** Reads a model file written by SaveModel. \throws Error(path, ...) when the file is missing,
 * not a Tessera model, or corrupt. */
LoadedModel LoadModel(const std::string & path);
/** Restores the optimizer state of a checkpoint into optimizer. \throws Error(path, ...). */
void LoadOptimizerState(const std::string & path, torch::optim::Optimizer & optimizer);
} // namespace tessera

#endif
