#ifndef tesseraSegmentationNetwork_h
#define tesseraSegmentationNetwork_h

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "tesseraNetworkOptions.h"

/** \file The common interface of Tessera's segmentation networks (DESIGN.md, "Learned stage").
 *
 * Networks are held as std::shared_ptr<SegmentationNetworkImpl> (no TORCH_MODULE holder):
 * register them in a parent with register_module("net", ptr), move them with ptr->to(device),
 * save/load their parameters with torch::serialize archives via ptr->save()/ptr->load(). */
namespace tessera
{
/** A segmentation network: forward maps input [N, inChannels, H, W] (or [N, inChannels, D, H, W])
 * to logits [N, classes, H, W] (or [N, classes, D, H, W]) of the same spatial size. Spatial sizes
 * must be multiples of SizeMultiple(); inference (tesseraInference.h) pads and crops back. */
class SegmentationNetworkImpl : public torch::nn::Module
{
public:
  virtual ~SegmentationNetworkImpl() = default;
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  /** Every spatial input size must be a multiple of this (e.g. 2^depth for a U-Net, 32 for ResNet encoders). */
  virtual int64_t SizeMultiple() const = 0;
};

using SegmentationNetworkPointer = std::shared_ptr<SegmentationNetworkImpl>;

/** \throws Error("network", ...) naming `network` when a spatial size of x [N, C, ...] is not a multiple of `multiple`. */
void CheckSpatialSizes(const torch::Tensor & x, int64_t multiple, const std::string & network);

/** Builds the network options.architecture names. \throws Error("architecture", ...) for
 * unknown names and Error("network", ...) for invalid options. Implemented in
 * tesseraSegmentationNetwork.cxx (one branch per architecture). */
std::shared_ptr<SegmentationNetworkImpl> MakeNetwork(const NetworkOptions & options);

/** U-Net (Ronneberger et al. 2015), 2D/3D: tesseraUNet.cxx. */
std::shared_ptr<SegmentationNetworkImpl> MakeUNet(const NetworkOptions & options);
/** Declarations implemented in their own files (tesseraFPN.cxx, tesseraLinkNet.cxx, tesseraGridNet.cxx). */
std::shared_ptr<SegmentationNetworkImpl> MakeFPN(const NetworkOptions & options);
std::shared_ptr<SegmentationNetworkImpl> MakeLinkNet(const NetworkOptions & options);
std::shared_ptr<SegmentationNetworkImpl> MakeGridNet(const NetworkOptions & options);
} // namespace tessera

#endif
