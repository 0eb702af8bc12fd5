#include "tesseraResNetEncoder.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include <torch/script.h>

#include "tesseraError.h"

namespace tessera
{
// ---------------------------------------------------------------------------------------------
// Layers

ConvNdImpl::ConvNdImpl(const ConvNdOptions & options)
  : m_Options(options)
{
  if (options.dimension != 2 && options.dimension != 3)
  {
    throw Error("network", "dimension must be 2 or 3, not " + std::to_string(options.dimension));
  }
  std::vector<int64_t> shape{ options.transposed ? options.in : options.out,
                              options.transposed ? options.out : options.in };
  shape.insert(shape.end(), options.dimension, options.kernel);
  weight = register_parameter("weight", torch::empty(shape));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
  if (options.bias)
  {
    bias = register_parameter("bias", torch::zeros({ options.out }));
  }
}

torch::Tensor
ConvNdImpl::forward(torch::Tensor x)
{
  const auto &               o = m_Options;
  const std::vector<int64_t> stride(o.dimension, o.stride), padding(o.dimension, o.padding),
    dilation(o.dimension, 1), outputPadding(o.dimension, o.transposed ? o.outputPadding : 0);
  return torch::convolution(x, weight, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt, stride,
                            padding, dilation, o.transposed, outputPadding, 1);
}

NormImpl::NormImpl(const std::string & kind, int64_t channels)
  : m_Kind(kind)
{
  if (kind == "none")
  {
    return;
  }
  if (kind != "batch" && kind != "instance")
  {
    throw Error("network", "normalization must be batch, instance or none, not \"" + kind + "\"");
  }
  weight = register_parameter("weight", torch::ones({ channels }));
  bias = register_parameter("bias", torch::zeros({ channels }));
  if (kind == "batch")
  {
    running_mean = register_buffer("running_mean", torch::zeros({ channels }));
    running_var = register_buffer("running_var", torch::ones({ channels }));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
  }
}

torch::Tensor
NormImpl::forward(torch::Tensor x)
{
  if (m_Kind == "batch")
  {
    if (is_training())
    {
      torch::NoGradGuard noGrad;
      num_batches_tracked.add_(1);
    }
    return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), 0.1, 1e-5, true);
  }
  if (m_Kind == "instance")
  {
    return torch::instance_norm(x, weight, bias, {}, {}, true, 0.1, 1e-5, true);
  }
  return x;
}

std::shared_ptr<ConvNdImpl>
MakeConv(int dimension, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias)
{
  ConvNdOptions o;
  o.dimension = dimension;
  o.in = in;
  o.out = out;
  o.kernel = kernel;
  o.stride = stride;
  o.padding = padding < 0 ? kernel / 2 : padding;
  o.bias = bias;
  return std::make_shared<ConvNdImpl>(o);
}

std::shared_ptr<ConvNdImpl>
MakeConvTranspose(int dimension, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                  int64_t outputPadding, bool bias)
{
  ConvNdOptions o;
  o.dimension = dimension;
  o.in = in;
  o.out = out;
  o.kernel = kernel;
  o.stride = stride;
  o.padding = padding;
  o.outputPadding = outputPadding;
  o.bias = bias;
  o.transposed = true;
  return std::make_shared<ConvNdImpl>(o);
}

std::vector<int64_t>
SpatialSize(const torch::Tensor & x)
{
  return std::vector<int64_t>(x.sizes().begin() + 2, x.sizes().end());
}

torch::Tensor
ResizeTo(const torch::Tensor & x, const std::vector<int64_t> & size, const std::string & mode)
{
  if (SpatialSize(x) == size)
  {
    return x;
  }
  namespace F = torch::nn::functional;
  auto options = F::InterpolateFuncOptions().size(size);
  if (mode == "nearest")
  {
    options.mode(torch::kNearest);
  }
  else if (x.dim() == 4)
  {
    options.mode(torch::kBilinear).align_corners(true);
  }
  else
  {
    options.mode(torch::kTrilinear).align_corners(true);
  }
  return F::interpolate(x, options);
}

torch::Tensor
PadToMultiple(const torch::Tensor & x, int64_t multiple)
{
  std::vector<int64_t> pad; // last dimension first, (before, after) pairs
  bool                 needed = false;
  for (int64_t d = x.dim() - 1; d >= 2; --d)
  {
    const int64_t extra = (multiple - x.size(d) % multiple) % multiple;
    needed = needed || extra != 0;
    pad.push_back(0);
    pad.push_back(extra);
  }
  return needed ? torch::constant_pad_nd(x, pad, 0.0) : x;
}

torch::Tensor
CropTo(const torch::Tensor & x, const std::vector<int64_t> & size)
{
  torch::Tensor y = x;
  for (size_t d = 0; d < size.size(); ++d)
  {
    if (y.size(2 + d) != size[d])
    {
      y = y.narrow(2 + d, 0, size[d]);
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// ResNet

BasicBlockImpl::BasicBlockImpl(int dimension, int64_t in, int64_t out, int64_t stride,
                               const std::string & normalization)
{
  conv1 = register_module("conv1", MakeConv(dimension, in, out, 3, stride));
  bn1 = register_module("bn1", std::make_shared<NormImpl>(normalization, out));
  conv2 = register_module("conv2", MakeConv(dimension, out, out, 3, 1));
  bn2 = register_module("bn2", std::make_shared<NormImpl>(normalization, out));
  if (stride != 1 || in != out)
  {
    downsample = register_module("downsample", torch::nn::Sequential(MakeConv(dimension, in, out, 1, stride, 0),
                                                                      std::make_shared<NormImpl>(normalization, out)));
  }
}

torch::Tensor
BasicBlockImpl::forward(torch::Tensor x)
{
  torch::Tensor y = torch::relu(bn1->forward(conv1->forward(x)));
  y = bn2->forward(conv2->forward(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

ResNetEncoderImpl::ResNetEncoderImpl(const ResNetEncoderOptions & options)
  : m_Options(options)
{
  std::vector<int> blocks;
  if (options.architecture == "resnet18")
  {
    blocks = { 2, 2, 2, 2 };
  }
  else if (options.architecture == "resnet34")
  {
    blocks = { 3, 4, 6, 3 };
  }
  else
  {
    throw Error("network", "encoder must be resnet18 or resnet34, not \"" + options.architecture + "\"");
  }
  if (options.inChannels < 1 || options.width < 1)
  {
    throw Error("network", "encoder input channels and width must be at least 1");
  }
  const int dim = options.dimension;
  conv1 = register_module("conv1", MakeConv(dim, options.inChannels, options.width, 7, 2, 3));
  bn1 = register_module("bn1", std::make_shared<NormImpl>(options.normalization, options.width));
  torch::nn::Sequential * layers[4] = { &layer1, &layer2, &layer3, &layer4 };
  int64_t                 in = options.width;
  for (int l = 0; l < 4; ++l)
  {
    const int64_t         out = options.width << l;
    torch::nn::Sequential layer;
    for (int b = 0; b < blocks[l]; ++b)
    {
      layer->push_back(std::make_shared<BasicBlockImpl>(dim, b == 0 ? in : out, out, b == 0 && l > 0 ? 2 : 1,
                                                        options.normalization));
    }
    *layers[l] = register_module("layer" + std::to_string(l + 1), layer);
    in = out;
  }
}

std::vector<torch::Tensor>
ResNetEncoderImpl::forward(torch::Tensor x)
{
  std::vector<torch::Tensor> features;
  features.reserve(5);
  x = torch::relu(bn1->forward(conv1->forward(x)));
  features.push_back(x);
  x = m_Options.dimension == 2 ? torch::max_pool2d(x, { 3, 3 }, { 2, 2 }, { 1, 1 })
                               : torch::max_pool3d(x, { 3, 3, 3 }, { 2, 2, 2 }, { 1, 1, 1 });
  for (auto * layer : { &layer1, &layer2, &layer3, &layer4 })
  {
    x = (*layer)->forward(x);
    features.push_back(x);
  }
  return features;
}

std::vector<int64_t>
ResNetEncoderImpl::Channels() const
{
  const int64_t w = m_Options.width;
  return { w, w, 2 * w, 4 * w, 8 * w };
}

// ---------------------------------------------------------------------------------------------
// Weights

namespace
{
bool
EndsWith(const std::string & s, const std::string & suffix)
{
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string
ShapeText(const torch::Tensor & t)
{
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

bool
CollectStateDict(const c10::IValue & value, std::map<std::string, torch::Tensor> & out)
{
  if (!value.isGenericDict())
  {
    return false;
  }
  const auto dict = value.toGenericDict();
  for (const auto & key : { "state_dict", "model" })
  {
    if (dict.contains(key) && dict.at(key).isGenericDict())
    {
      return CollectStateDict(dict.at(key), out);
    }
  }
  for (const auto & entry : dict)
  {
    if (entry.key().isString() && entry.value().isTensor())
    {
      out[entry.key().toStringRef()] = entry.value().toTensor();
    }
  }
  return !out.empty();
}
} // namespace

std::map<std::string, torch::Tensor>
ReadNamedTensors(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
  {
    throw Error(path, "cannot open the weights file");
  }
  std::map<std::string, torch::Tensor> tensors;
  std::string                          jitError;
  try
  {
    // TorchScript files and torch::save archives (which are TorchScript modules whose
    // parameters and buffers are the archive's tensors, submodules its nested archives).
    torch::jit::Module module = torch::jit::load(path, torch::kCPU);
    for (const auto & p : module.named_parameters(true))
    {
      tensors[p.name] = p.value;
    }
    for (const auto & b : module.named_buffers(true))
    {
      tensors[b.name] = b.value;
    }
    return tensors;
  }
  catch (const c10::Error & e)
  {
    jitError = e.what_without_backtrace();
  }
  try
  {
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (CollectStateDict(torch::jit::pickle_load(bytes), tensors))
    {
      return tensors;
    }
  }
  catch (const std::exception &) // c10::Error, including the unpickler's assertions
  {
  }
  throw Error(path, "neither a TorchScript module, a torch::save archive nor a state dict saved as a dict by "
                    "PyTorch >= 1.6 (LibTorch cannot read the OrderedDict of model.state_dict(): re-save it with "
                    "torch.save(dict(torch.load(path)), new_path)); TorchScript loader: " +
                      jitError.substr(0, jitError.find('\n')));
}

EncoderWeightsReport
ResNetEncoderImpl::LoadWeights(const std::string & path, const std::string & prefix)
{
  return LoadWeights(ReadNamedTensors(path), prefix, path);
}

EncoderWeightsReport
ResNetEncoderImpl::LoadWeights(const std::map<std::string, torch::Tensor> & source, const std::string & prefix,
                               const std::string & subject)
{
  EncoderWeightsReport report;
  report.prefix = prefix;
  if (prefix == "auto")
  {
    const std::string anchor = "layer1.0.conv1.weight";
    std::vector<std::string> found;
    for (const auto & entry : source)
    {
      if (EndsWith(entry.first, anchor))
      {
        found.push_back(entry.first.substr(0, entry.first.size() - anchor.size()));
      }
    }
    if (found.size() != 1)
    {
      throw Error(subject, found.empty() ? "no ResNet weights in it (no name ends in " + anchor + ")"
                                         : "several ResNets in it (" + std::to_string(found.size()) +
                                             " names end in " + anchor + "); give the prefix");
    }
    report.prefix = found.front();
  }

  // Check everything first, copy after: a failed load leaves the encoder as it was.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies; // (ours, value)
  std::vector<std::string>                             problems;
  std::map<std::string, bool>                          used;
  auto consider = [&](const std::string & name, const torch::Tensor & ours) {
    const auto it = source.find(report.prefix + name);
    if (it == source.end())
    {
      if (EndsWith(name, "num_batches_tracked"))
      {
        report.skipped.push_back(name);
      }
      else
      {
        problems.push_back("missing " + report.prefix + name);
      }
      return;
    }
    used[it->first] = true;
    torch::Tensor value = it->second.detach().to(torch::kCPU, ours.scalar_type());
    if (value.sizes() != ours.sizes())
    {
      const bool inputChannelsOnly = name == "conv1.weight" && value.dim() == ours.dim() &&
                                     value.size(0) == ours.size(0) &&
                                     value.sizes().slice(2) == ours.sizes().slice(2);
      if (!inputChannelsOnly)
      {
        problems.push_back(report.prefix + name + " is " + ShapeText(value) + ", ours " + ShapeText(ours));
        return;
      }
      const int64_t k = ours.size(1), sourceChannels = value.size(1);
      if (k == 1)
      {
        value = value.sum(1, true);
      }
      else
      {
        value = value.index_select(1, torch::arange(k, torch::kLong) % sourceChannels) *
                (static_cast<double>(sourceChannels) / k);
      }
      report.adapted.push_back(name);
    }
    copies.emplace_back(ours, value);
  };
  for (const auto & p : named_parameters(true))
  {
    consider(p.key(), p.value());
  }
  for (const auto & b : named_buffers(true))
  {
    consider(b.key(), b.value());
  }
  if (!problems.empty())
  {
    std::string text = "cannot load the encoder weights: ";
    for (size_t i = 0; i < problems.size() && i < 5; ++i)
    {
      text += (i ? "; " : "") + problems[i];
    }
    if (problems.size() > 5)
    {
      text += "; and " + std::to_string(problems.size() - 5) + " more";
    }
    throw Error(subject, text);
  }
  {
    torch::NoGradGuard noGrad;
    for (auto & c : copies)
    {
      c.first.copy_(c.second);
    }
  }
  report.copied = static_cast<int>(copies.size());
  for (const auto & entry : source)
  {
    if (entry.first.compare(0, report.prefix.size(), report.prefix) == 0 && !used.count(entry.first))
    {
      report.unused.push_back(entry.first);
    }
  }
  return report;
}

std::shared_ptr<ResNetEncoderImpl>
FindResNetEncoder(torch::nn::Module & network)
{
  for (const auto & child : network.named_children())
  {
    if (child.key() == "encoder")
    {
      return std::dynamic_pointer_cast<ResNetEncoderImpl>(child.value());
    }
  }
  return nullptr;
}

EncoderWeightsReport
LoadEncoderWeights(torch::nn::Module & network, const std::string & path, const std::string & prefix)
{
  const auto encoder = FindResNetEncoder(network);
  if (!encoder)
  {
    throw Error(path, "encoder weights need a network with a ResNet encoder (fpn or linknet)");
  }
  return encoder->LoadWeights(path, prefix);
}

std::shared_ptr<ResNetEncoderImpl>
MakeResNetEncoder(const NetworkOptions & options)
{
  ResNetEncoderOptions o;
  o.architecture = options.encoder;
  o.dimension = options.dimension;
  o.inChannels = options.inChannels;
  o.normalization = options.normalization;
  if (o.architecture != "resnet18" && o.architecture != "resnet34")
  {
    throw Error("network", "encoder: must be resnet18 or resnet34, not \"" + o.architecture + "\"");
  }
  return std::make_shared<ResNetEncoderImpl>(o);
}
} // namespace tessera
