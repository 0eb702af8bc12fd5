#include "tesseraNetworkOptions.h"

#include <set>

#include "tesseraError.h"

namespace tessera
{
nlohmann::ordered_json
NetworkOptions::ToJson() const
{
  nlohmann::ordered_json j;
  j["architecture"] = architecture;
  j["dimension"] = dimension;
  j["in_channels"] = inChannels;
  j["classes"] = classes;
  j["base_width"] = baseWidth;
  j["depth"] = depth;
  j["encoder"] = encoder;
  j["normalization"] = normalization;
  j["dropout"] = dropout;
  if (equivariance != "none")
  {
    j["equivariance"] = equivariance;
  }
  return j;
}

namespace
{
template <typename T>
T
Get(const nlohmann::json & j, const std::string & key, const std::string & subject)
{
  try
  {
    return j.at(key).get<T>();
  }
  catch (const nlohmann::json::exception &)
  {
    throw Error(subject, key + ": expected " +
                           (std::is_same<T, std::string>::value ? std::string("a string")
                            : std::is_integral<T>::value        ? std::string("an integer")
                                                                : std::string("a number")) +
                           ", got " + j.at(key).dump());
  }
}
} // namespace

NetworkOptions
NetworkOptionsFromJson(const nlohmann::json & json, const std::string & subject)
{
  if (!json.is_object())
  {
    throw Error(subject, "network options must be a JSON object");
  }
  NetworkOptions o;
  for (auto it = json.begin(); it != json.end(); ++it)
  {
    const std::string & k = it.key();
    if (k == "architecture")
      o.architecture = Get<std::string>(json, k, subject);
    else if (k == "dimension")
      o.dimension = Get<int>(json, k, subject);
    else if (k == "in_channels")
      o.inChannels = Get<int>(json, k, subject);
    else if (k == "classes")
      o.classes = Get<int>(json, k, subject);
    else if (k == "base_width")
      o.baseWidth = Get<int>(json, k, subject);
    else if (k == "depth")
      o.depth = Get<int>(json, k, subject);
    else if (k == "encoder")
      o.encoder = Get<std::string>(json, k, subject);
    else if (k == "normalization")
      o.normalization = Get<std::string>(json, k, subject);
    else if (k == "dropout")
      o.dropout = Get<double>(json, k, subject);
    else if (k == "equivariance")
      o.equivariance = Get<std::string>(json, k, subject);
    else
      throw Error(subject, "unknown key \"" + k + "\" (expected architecture, dimension, in_channels, classes, "
                                                  "base_width, depth, encoder, normalization, dropout, equivariance)");
  }
  return o;
}

void
ValidateNetworkOptions(const NetworkOptions & o, const std::string & subject)
{
  if (o.dimension != 2 && o.dimension != 3)
    throw Error(subject, "dimension: must be 2 or 3, not " + std::to_string(o.dimension));
  if (o.inChannels < 1)
    throw Error(subject, "in_channels: must be at least 1");
  if (o.classes < 2)
    throw Error(subject, "classes: must be at least 2");
  if (o.baseWidth < 1)
    throw Error(subject, "base_width: must be at least 1");
  if (o.depth < 0 || o.depth > 8)
    throw Error(subject, "depth: must be in 0–8, not " + std::to_string(o.depth));
  if (o.normalization != "batch" && o.normalization != "instance" && o.normalization != "none")
    throw Error(subject, "normalization: must be batch, instance or none, not \"" + o.normalization + "\"");
  if (!(o.dropout >= 0.0 && o.dropout < 1.0))
    throw Error(subject, "dropout: must be in [0, 1)");
  if (o.equivariance != "none" && o.equivariance != "p4" && o.equivariance != "p4m")
    throw Error(subject, "equivariance: must be none, p4 or p4m, not \"" + o.equivariance + "\"");
  if (o.equivariance != "none" && (o.architecture != "unet" || o.dimension != 2))
    throw Error(subject, "equivariance: group convolutions make a 2D unet, not a " + std::to_string(o.dimension) + "D " +
                           o.architecture);
}

} // namespace tessera
