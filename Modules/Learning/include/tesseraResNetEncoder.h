#ifndef tesseraResNetEncoder_h
#define tesseraResNetEncoder_h

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tesseraSegmentationNetwork.h"

/** \file ResNet-18/34 encoder (He et al. 2016, BasicBlock) in 2D and 3D, and the layers the
 * FPN, LinkNet and GridNet decoders share with it. The dimension is a run-time option: the layers
 * call the N-d ATen operators (convolution, batch_norm, ...), so one class serves 2D and 3D.
 *
 * Parameter and buffer names are torchvision's, so that weights exported from PyTorch map one to
 * one (fc.* is not part of the encoder and is ignored):
 * \code
 * conv1.weight                         [w, in, 7, 7(, 7)]
 * bn1.{weight,bias,running_mean,running_var,num_batches_tracked}
 * layer<L>.<B>.conv1.weight, layer<L>.<B>.bn1.*, layer<L>.<B>.conv2.weight, layer<L>.<B>.bn2.*
 * layer<L>.0.downsample.0.weight, layer<L>.0.downsample.1.*   (L = 2, 3, 4; 1×1 conv + norm)
 * \endcode
 * with L = 1..4, B = 0..1 (resnet18) or 0..2/0..3/0..5/0..2 (resnet34), w = 64 for torchvision. */
namespace tessera
{
/** Options of ConvNd. Transposed convolutions have weight [in, out, k...], others [out, in, k...]. */
struct ConvNdOptions
{
  int     dimension = 2;
  int64_t in = 1;
  int64_t out = 1;
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t outputPadding = 0; ///< transposed only
  bool    bias = false;
  bool    transposed = false;
};

/** A 2D or 3D (transposed) convolution with parameters "weight" and, if options.bias, "bias".
 * Initialised as torchvision does (Kaiming normal, fan_out, ReLU gain; zero bias). */
class ConvNdImpl : public torch::nn::Module
{
public:
  explicit ConvNdImpl(const ConvNdOptions & options);
  torch::Tensor forward(torch::Tensor x);
  const ConvNdOptions & Options() const { return m_Options; }
  torch::Tensor weight, bias;

private:
  ConvNdOptions m_Options;
};

/** Normalisation over the channels of [N, C, spatial...] in any dimension: "batch" (parameters
 * weight, bias; buffers running_mean, running_var, num_batches_tracked, as torch.nn.BatchNorm),
 * "instance" (affine weight, bias; no running statistics) or "none" (identity, no parameters). */
class NormImpl : public torch::nn::Module
{
public:
  NormImpl(const std::string & kind, int64_t channels);
  torch::Tensor forward(torch::Tensor x);
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
  std::string m_Kind;
};

std::shared_ptr<ConvNdImpl> MakeConv(int dimension, int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                                     int64_t padding = -1 /* kernel / 2 */, bool bias = false);
/** Transposed convolution; output size = (input − 1)·stride − 2·padding + kernel + outputPadding. */
std::shared_ptr<ConvNdImpl> MakeConvTranspose(int dimension, int64_t in, int64_t out, int64_t kernel,
                                              int64_t stride, int64_t padding, int64_t outputPadding, bool bias = false);

/** Resizes [N, C, spatial...] to size: mode "nearest" or "linear" (bilinear/trilinear, align_corners true). */
torch::Tensor ResizeTo(const torch::Tensor & x, const std::vector<int64_t> & size, const std::string & mode);
/** The spatial sizes of [N, C, spatial...]. */
std::vector<int64_t> SpatialSize(const torch::Tensor & x);
/** Zero-pads the spatial dimensions of x at their ends up to multiples of multiple (no copy when
 * they already are); CropTo takes the leading size of the spatial dimensions back. */
torch::Tensor PadToMultiple(const torch::Tensor & x, int64_t multiple);
torch::Tensor CropTo(const torch::Tensor & x, const std::vector<int64_t> & size);

/** ResNet BasicBlock: conv3×3(stride)–norm–ReLU–conv3×3–norm, plus the identity or a 1×1
 * conv(stride)–norm "downsample" projection, then ReLU. */
class BasicBlockImpl : public torch::nn::Module
{
public:
  BasicBlockImpl(int dimension, int64_t in, int64_t out, int64_t stride, const std::string & normalization);
  torch::Tensor forward(torch::Tensor x);

private:
  std::shared_ptr<ConvNdImpl> conv1, conv2;
  std::shared_ptr<NormImpl>   bn1, bn2;
  torch::nn::Sequential       downsample{ nullptr };
};

struct ResNetEncoderOptions
{
  std::string architecture = "resnet18"; ///< resnet18 | resnet34
  int         dimension = 2;             ///< 2 or 3
  int64_t     inChannels = 3;
  int64_t     width = 64;                ///< channels of conv1 and layer1 (torchvision: 64)
  std::string normalization = "batch";   ///< batch | instance | none
};

/** What LoadWeights copied. */
struct EncoderWeightsReport
{
  std::string              prefix;   ///< the prefix found in (or given for) the source names
  int                      copied = 0;
  std::vector<std::string> adapted;  ///< names copied with a change (conv1 input channels)
  std::vector<std::string> skipped;  ///< ours not in the source and not required (num_batches_tracked)
  std::vector<std::string> unused;   ///< source names under the prefix that we have no use for (fc.*)
};

/** ResNet-18/34 encoder (He et al. 2016): conv7×7/2–norm–ReLU (stride 2), max-pool 3/2, then
 * layer1..layer4 of BasicBlocks at strides 4, 8, 16, 32 with width, 2·width, 4·width, 8·width
 * channels. Spatial sizes must be multiples of 32 (SizeMultiple). */
class ResNetEncoderImpl : public torch::nn::Module
{
public:
  explicit ResNetEncoderImpl(const ResNetEncoderOptions & options);

  /** The feature maps at strides 2 (after conv1–bn1–ReLU), 4, 8, 16, 32 (layer1..layer4). */
  std::vector<torch::Tensor> forward(torch::Tensor x);
  /** Channels of the five feature maps: width, width, 2·width, 4·width, 8·width. */
  std::vector<int64_t> Channels() const;
  static constexpr int64_t SizeMultiple() { return 32; }
  const ResNetEncoderOptions & Options() const { return m_Options; }

  /** Copies weights from a file into this encoder, matching names after a prefix (see the file
   * comment for the names). Reads, in this order of attempts:
   *  - a TorchScript module exported from PyTorch (torch.jit.script(model).save(path) or
   *    torch.jit.trace(...).save): its named parameters and buffers, e.g. a torchvision resnet18;
   *  - an archive written by torch::save (our encoder, or a whole FPN/LinkNet: prefix "encoder.");
   *  - a state dict saved by Python as a plain dict, torch.save(dict(model.state_dict()), path)
   *    (zip format, PyTorch ≥ 1.6), or a dict holding it under "state_dict"/"model". LibTorch 1.13's
   *    unpickler cannot read the OrderedDict that model.state_dict() returns (torchvision's
   *    resnet18-*.pth files are one): re-save those once with
   *    torch.save(dict(torch.load("resnet18-f37072fd.pth")), "resnet18.pth").
   * prefix "auto" finds it from the source name ending in "layer1.0.conv1.weight" (so "",
   * "encoder.", "backbone.", "module." ... all work). Every parameter and running statistic of ours
   * must be in the source with the same shape, except num_batches_tracked (optional) and conv1's
   * input channels: a 3-channel conv1 loaded into 1 channel is summed over its input channels,
   * into k channels tiled and scaled by 3/k (as segmentation_models.pytorch does).
   * \throws Error(path, ...) for unreadable files, missing names and shape mismatches; nothing
   * is copied then. */
  EncoderWeightsReport LoadWeights(const std::string & path, const std::string & prefix = "auto");
  /** The same from tensors already in memory, keyed by name (subject names them in errors). */
  EncoderWeightsReport LoadWeights(const std::map<std::string, torch::Tensor> & source, const std::string & prefix,
                                   const std::string & subject);

private:
  ResNetEncoderOptions        m_Options;
  std::shared_ptr<ConvNdImpl> conv1;
  std::shared_ptr<NormImpl>   bn1;
  torch::nn::Sequential       layer1{ nullptr }, layer2{ nullptr }, layer3{ nullptr }, layer4{ nullptr };
};

/** Reads the named tensors of a weights file (the formats LoadWeights lists).
 * \throws Error(path, ...) when it is none of them. */
std::map<std::string, torch::Tensor> ReadNamedTensors(const std::string & path);

/** The ResNet encoder of a network (FPN, LinkNet: its child module "encoder"), or nullptr. */
std::shared_ptr<ResNetEncoderImpl> FindResNetEncoder(torch::nn::Module & network);

/** Loads encoder weights from a file (formats and names: ResNetEncoderImpl::LoadWeights) into the
 * ResNet encoder of network — e.g. for a training config's pretrained encoder.
 * \throws Error(path, ...) when the network has no ResNet encoder, or as LoadWeights does. */
EncoderWeightsReport LoadEncoderWeights(torch::nn::Module & network, const std::string & path,
                                        const std::string & prefix = "auto");

/** Builds the encoder options.encoder names ("resnet18" | "resnet34") for options.dimension,
 * options.inChannels and options.normalization, torchvision width 64.
 * \throws Error("network", "encoder: ...") for other names. */
std::shared_ptr<ResNetEncoderImpl> MakeResNetEncoder(const NetworkOptions & options);
} // namespace tessera

#endif
