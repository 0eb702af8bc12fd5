#ifndef tesseraNetworkOptions_h
#define tesseraNetworkOptions_h

#include <string>

#include <nlohmann/json.hpp>

/** \file NetworkOptions without LibTorch, so configuration code need not include torch. */
namespace tessera
{
/** Architecture options. Serialised to JSON in the model file (ToJson/NetworkOptionsFromJson)
 * and read from the "network" object of a training config. */
struct NetworkOptions
{
  std::string architecture = "unet";    ///< unet | fpn | linknet | gridnet
  int         dimension = 2;            ///< 2 or 3
  int         inChannels = 1;           ///< image channels (1 grey, 3 RGB, ...)
  int         classes = 2;              ///< output channels = number of training classes
  int         baseWidth = 16;           ///< feature maps at full resolution (unet/gridnet); decoder width (fpn/linknet)
  int         depth = 4;                ///< unet/gridnet: number of 2x downsamplings
  std::string encoder = "resnet18";     ///< fpn/linknet: resnet18 | resnet34
  std::string normalization = "batch";  ///< batch | instance | none
  double      dropout = 0.0;            ///< dropout probability (0 = none)
  std::string equivariance = "none";    ///< none | p4 | p4m: a group U-Net (unet, 2D; tesseraGroupUNet.h)

  nlohmann::ordered_json ToJson() const;
};

/** Reads options from JSON: missing keys keep their defaults; unknown keys, wrong types and
 * invalid values throw Error(subject, "<key>: ...") (subject names the file / config key). */
NetworkOptions NetworkOptionsFromJson(const nlohmann::json & json, const std::string & subject);

/** Checks the options shared by all architectures (dimension 2/3, channels/classes ≥ 1,
 * normalization name, dropout in [0,1)); throws Error(subject, ...). */
void ValidateNetworkOptions(const NetworkOptions & options, const std::string & subject);

} // namespace tessera

#endif
