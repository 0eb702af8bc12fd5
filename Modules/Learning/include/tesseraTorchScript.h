#ifndef tesseraTorchScript_h
#define tesseraTorchScript_h

#include <memory>
#include <string>

#include "tesseraSegmentationNetwork.h"

namespace torch
{
namespace jit
{
struct Module;
} // namespace jit
} // namespace torch

namespace tessera
{
struct TorchScriptOptions
{
  int64_t     sizeMultiple = 32; ///< what SizeMultiple() reports (the model's needs: 32 for most ResNet encoders)
  std::string output;            ///< when forward returns a dict: its key ("" = "out" if present, else the only entry)
};

/** A TorchScript model exported from PyTorch (torch.jit.script(model).save(path) or
 * torch.jit.trace(model, example).save(path)) as a SegmentationNetworkImpl, so that it runs
 * through the same inference (and training) code as our networks.
 *
 * forward(x) calls the script module's forward with x; its result must be a tensor of logits
 * [N, C, spatial...], a tuple/list whose first element is one, or a dict of them (torchvision's
 * segmentation models return {"out": ..., "aux": ...}; TorchScriptOptions::output picks the key).
 * The script module's parameters are registered here too (names with '.' → '__'), so that
 * parameters(), train()/eval(), to(device) and an optimiser act on the script module itself.
 * save()/load() of torch::serialize archives store those parameters; SaveModule writes the whole
 * TorchScript file (code included) again. */
class TorchScriptNetworkImpl : public SegmentationNetworkImpl
{
public:
  /** \throws Error(path, ...) when the file is not a TorchScript module with a forward method. */
  TorchScriptNetworkImpl(const std::string & path, const TorchScriptOptions & options = {});
  ~TorchScriptNetworkImpl() override;

  torch::Tensor forward(torch::Tensor x) override;
  int64_t SizeMultiple() const override { return m_Options.sizeMultiple; }

  void train(bool on = true) override;
  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;

  torch::jit::Module & ScriptModule() { return *m_Module; }
  /** Writes the TorchScript module (with its current parameters) to path. */
  void SaveModule(const std::string & path) const;
  const std::string & Path() const { return m_Path; }

private:
  void RegisterParameters();

  std::string                         m_Path;
  TorchScriptOptions                  m_Options;
  std::unique_ptr<torch::jit::Module> m_Module;
};

std::shared_ptr<SegmentationNetworkImpl> LoadTorchScriptNetwork(const std::string & path,
                                                                const TorchScriptOptions & options = {});
} // namespace tessera

#endif
