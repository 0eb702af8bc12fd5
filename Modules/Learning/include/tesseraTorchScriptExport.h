#ifndef tesseraTorchScriptExport_h
#define tesseraTorchScriptExport_h

#include <string>

#include "tesseraModelFile.h"
#include "tesseraSegmentationNetwork.h"

namespace tessera
{
/** Name of the extra file in the TorchScript archive that holds ModelInfo::ToJson() (labels,
 * normalisation, crop size, input scale). Python: files = {"tessera_model.json": ""};
 * torch.jit.load(path, _extra_files=files); json.loads(files["tessera_model.json"]). */
inline constexpr const char * TorchScriptModelInfoFile = "tessera_model.json";

/** Writes network with its normalisation as a TorchScript file, so that PyTorch users need no
 * Tessera: model = torch.jit.load(path); probabilities = model(x).
 *
 * forward(x): x float32 [N, inChannels, H, W] (or [N, inChannels, D, H, W]) of raw intensities,
 * already resampled by info.inputScale; returns softmax probabilities [N, classes, H, W] (or
 * [N, classes, D, H, W]) of the same spatial size, in float32. The module subtracts info.mean and
 * divides by info.std per channel first (its buffers "mean" and "std", shape [1, C, 1, 1(, 1)]).
 * Any batch size and any spatial size that is a multiple of network.SizeMultiple() along every
 * axis work; other sizes are not padded (unlike `tessera predict`) and fail or give wrong sizes.
 * The parameters keep the C++ names ("encoder0.0.weight"), so state_dict() matches the network's.
 *
 * The C++-frontend network cannot be scripted, so its forward is traced in eval mode on an
 * example of info.cropSize rounded up to the size multiple (2 × SizeMultiple() per axis without a
 * crop size); the resulting graph is checked against the network on an input of another size, so
 * a file is only written when the graph follows the input size. The graph is fixed: train() in
 * Python does not turn dropout or batch statistics back on. The network's training mode is
 * restored afterwards; it must be on the CPU and in float32.
 *
 * The file is written atomically with the extra file TorchScriptModelInfoFile.
 * \throws Error(path, ...) when info is invalid or does not match the network, the network is not
 * on the CPU, tracing fails, the traced graph does not follow the input size, or the file cannot
 * be written. */
void ExportTorchScript(SegmentationNetworkImpl & network, const ModelInfo & info, const std::string & path);
} // namespace tessera

#endif
