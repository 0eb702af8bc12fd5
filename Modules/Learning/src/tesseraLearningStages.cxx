// The learned stage: `predict` is the CNN filter as a stage (a folder of inputs is processed in
// turn by the command-line layer), `train` fits a network from a JSON config. Described here
// without LibTorch; they run in module TesseraLearning (tesseraLearningStageRuns.cxx).
#include "tesseraLearningStages.h"

#include "tesseraCNNImageFilter.h"
#include "tesseraModuleLoader.h"

namespace tessera
{
namespace
{
/** Tiled runs of predict: the model's window is the halo (windows are placed on the whole image's
 * grid, so each tile's pixels get the untiled run's probabilities); the model is read in TesseraLearning. */
CNNTiling
PredictTiling(const ParameterValues & p, const PortFiles & files, unsigned int components)
{
  CNNTiling t;
  ModuleFunction<void(const ParameterValues &, const PortFiles &, unsigned int, CNNTiling &)>(
    "TesseraLearning", "tesseraPredictTiling")(p, files, components, t);
  return t;
}
} // namespace

void
RegisterLearningStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "predict";
    s.summary = "Segment images with a trained network (sliding windows, Gaussian blending, TTA)";
    s.source = "Sliding-window inference as nnU-Net (Isensee et al. 2021) and MONAI";
    s.inputs = {
      InputPort("input", PortKind::Image, "Image (2D/3D, the channels the model was trained on), or a folder of images")
        .Alias("i"),
      InputPort("model", PortKind::File, "Model file written by `tessera train` (best.pt or last.pt)").Alias("m").Optional(),
      InputPort("torchscript", PortKind::File,
                "Instead of --model: a TorchScript module from PyTorch (forward: [N, C, ...] -> logits [N, K, ...]); "
                "needs --labels")
        .Optional(),
      InputPort("labels", PortKind::LabelTable,
                "Label table of the output classes (TorchScript: one label per output channel, in ascending order)")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Labels, "Label image on the input's grid (the model's label values)").Alias("o"),
      OutputPort("probabilities", PortKind::Probabilities,
                 "Also write the probabilities: one component per label of the model's table")
        .Optional(),
      OverlayPort("overlay", "output"),
    };
    s.parameters = {
      BooleanParameter("tta", "Test-time augmentation: average over 8 rotations/flips (2D) or 8 axis flips (3D)"),
      BooleanParameter("class-indices", "Write class indices 0..C-1 instead of the model's label values"),
      RealParameter("overlap", "0.5", "fraction", "Overlap of neighbouring windows").AtLeast(0).AtMost(0.95),
      TextParameter("window", "", "Window size, e.g. 512x512 or 96x96x96").WhenAbsent("the training crop"),
      ChoiceParameter("device", "auto", { "auto", "cpu", "cuda" }, "auto (CUDA when available), cpu or cuda"),
      IntegerParameter("batch", "4", "windows", "Windows per forward pass").AtLeast(1).AtMost(256),
      ListParameter("mean", ParameterType::RealList, "intensity",
                    "TorchScript: per-channel mean subtracted before the network (one value: all channels)")
        .AtLeast(-1e30)
        .AtMost(1e30)
        .WhenAbsent("0"),
      ListParameter("std", ParameterType::RealList, "intensity",
                    "TorchScript: per-channel standard deviation divided after the mean (one value: all channels)")
        .Above(0)
        .AtMost(1e30)
        .WhenAbsent("1"),
      IntegerParameter("size-multiple", "32", "pixels", "TorchScript: spatial sizes the module needs a multiple of")
        .AtLeast(1)
        .AtMost(1024),
    };
    s.parameters[6].defaultValue = "0";
    s.parameters[7].defaultValue = "1";
    s.tiling.halo = [](const ParameterValues & p, const PortFiles & files) { return PredictTiling(p, files, 1).halo; };
    s.tiling.bytesPerPixel = [](const ParameterValues & p, const PortFiles & files, unsigned int components) {
      return PredictTiling(p, files, components).bytesPerPixel;
    };
    s.tiling.fixedBytes = [](const ParameterValues & p, const PortFiles & files) {
      return PredictTiling(p, files, 1).fixedBytes;
    };
    s.tiling.refusal = [](const ParameterValues & p, const PortFiles & files) {
      return PredictTiling(p, files, 1).refusal;
    };
    s.tiling.exact = true;
    s.run = ModuleRun("TesseraLearning", "tesseraRunPredict");
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "export";
    s.summary = "Export a trained model to TorchScript for PyTorch: torch.jit.load(file)(x) gives the probabilities";
    s.perImage = false;
    s.inputs = { InputPort("model", PortKind::File, "Model file written by `tessera train`").Alias("m") };
    s.outputs = { OutputPort("output", PortKind::File,
                             "TorchScript file: forward(x [N, C, (D,) H, W] raw intensities) -> softmax "
                             "probabilities [N, classes, ...]; the model description is its extra file "
                             "tessera_model.json")
                    .Alias("o")
                    .Extensions({ ".pt", ".pth", ".ts" }) };
    s.run = ModuleRun("TesseraLearning", "tesseraRunExport");
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "train";
    s.summary = "Train a segmentation network (U-Net, FPN, LinkNet, GridNet) with LibTorch from a JSON config";
    s.perImage = false;
    s.seeded = true;
    s.inputs = { InputPort("config", PortKind::File,
                           "Training config (JSON): data, label mapping, network, loss, optimiser, schedule, augmentation")
                   .Positional() };
    s.parameters = {
      TextParameter("output", "", "Output folder for best.pt, last.pt, training.csv, training-curves.png and config.json")
        .Alias("o")
        .WhenAbsent("the config's \"output\""),
      BooleanParameter("resume", "Continue from <output>/last.pt (its epoch, weights, optimiser and schedule)"),
    };
    s.run = ModuleRun("TesseraLearning", "tesseraRunTrain");
    registry.Add(s);
  }
}
} // namespace tessera
