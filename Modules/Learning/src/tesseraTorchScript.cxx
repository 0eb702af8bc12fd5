#include "tesseraTorchScript.h"

#include <torch/script.h>

#include "tesseraError.h"

namespace tessera
{
TorchScriptNetworkImpl::TorchScriptNetworkImpl(const std::string & path, const TorchScriptOptions & options)
  : m_Path(path)
  , m_Options(options)
{
  if (options.sizeMultiple < 1)
  {
    throw Error(path, "the size multiple must be at least 1");
  }
  try
  {
    m_Module = std::make_unique<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
  }
  catch (const c10::Error & e)
  {
    const std::string what = e.what_without_backtrace();
    throw Error(path, "not a TorchScript module: " + what.substr(0, what.find('\n')));
  }
  if (!m_Module->find_method("forward"))
  {
    throw Error(path, "the TorchScript module has no forward method");
  }
  RegisterParameters();
  TorchScriptNetworkImpl::train(false); // exported models are usually in eval mode; be explicit
}

TorchScriptNetworkImpl::~TorchScriptNetworkImpl() = default;

void
TorchScriptNetworkImpl::RegisterParameters()
{
  for (const auto & p : m_Module->named_parameters(true))
  {
    std::string name = p.name;
    for (size_t at = name.find('.'); at != std::string::npos; at = name.find('.', at + 2))
    {
      name.replace(at, 1, "__");
    }
    register_parameter(name, p.value, p.value.requires_grad());
  }
  for (const auto & b : m_Module->named_buffers(true))
  {
    std::string name = b.name;
    for (size_t at = name.find('.'); at != std::string::npos; at = name.find('.', at + 2))
    {
      name.replace(at, 1, "__");
    }
    register_buffer(name, b.value);
  }
}

torch::Tensor
TorchScriptNetworkImpl::forward(torch::Tensor x)
{
  c10::IValue out = m_Module->forward({ x });
  if (out.isTuple())
  {
    out = out.toTupleRef().elements().at(0);
  }
  else if (out.isList())
  {
    out = out.toListRef().at(0);
  }
  else if (out.isGenericDict())
  {
    const auto dict = out.toGenericDict();
    const std::string key = !m_Options.output.empty() ? m_Options.output : dict.contains("out") ? "out" : "";
    if (!key.empty())
    {
      if (!dict.contains(key))
      {
        throw Error(m_Path, "the model's output has no \"" + key + "\"");
      }
      out = dict.at(key);
    }
    else if (dict.size() == 1)
    {
      out = dict.begin()->value();
    }
    else
    {
      throw Error(m_Path, "the model returns a dict of several outputs and none named \"out\"; choose one");
    }
  }
  if (!out.isTensor())
  {
    throw Error(m_Path, "the model's forward returns " + out.tagKind() + ", not a tensor of logits");
  }
  return out.toTensor();
}

void
TorchScriptNetworkImpl::train(bool on)
{
  torch::nn::Module::train(on);
  m_Module->train(on);
}

// The script module and this module share the tensors: Module::to swaps their data in place,
// which the script module sees; moving the script module as well keeps any tensors it holds
// outside parameters and buffers (attributes) on the same device.
void
TorchScriptNetworkImpl::to(torch::Device device, torch::Dtype dtype, bool non_blocking)
{
  torch::nn::Module::to(device, dtype, non_blocking);
  m_Module->to(device, dtype, non_blocking);
}

void
TorchScriptNetworkImpl::to(torch::Dtype dtype, bool non_blocking)
{
  torch::nn::Module::to(dtype, non_blocking);
  m_Module->to(dtype, non_blocking);
}

void
TorchScriptNetworkImpl::to(torch::Device device, bool non_blocking)
{
  torch::nn::Module::to(device, non_blocking);
  m_Module->to(device, non_blocking);
}

void
TorchScriptNetworkImpl::SaveModule(const std::string & path) const
{
  try
  {
    m_Module->save(path);
  }
  catch (const c10::Error & e)
  {
    const std::string what = e.what_without_backtrace();
    throw Error(path, "cannot write the TorchScript module: " + what.substr(0, what.find('\n')));
  }
}

std::shared_ptr<SegmentationNetworkImpl>
LoadTorchScriptNetwork(const std::string & path, const TorchScriptOptions & options)
{
  return std::make_shared<TorchScriptNetworkImpl>(path, options);
}
} // namespace tessera
