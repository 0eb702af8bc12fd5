// tessera predict: labels (and probabilities) from a trained model (Documentation/Applications/predict.md).
#include "tesseraApplication.h"
#include "tesseraTraining.h"

namespace tessera
{
namespace
{
void
Setup(CLI::App & sub)
{
  auto r = std::make_shared<PredictionRequest>();
  sub.add_option("-m,--model", r->model, "Model file written by tessera train (best.pt or last.pt)")->required();
  sub.add_option("-i,--input", r->input, "Image (2D/3D, channels as the model was trained), or a folder of images")
    ->required();
  sub.add_option("-o,--output", r->output,
                 "Label image (uint16, on the input's grid; format from the extension), or a folder for a folder input")
    ->required();
  sub.add_option("--probabilities", r->probabilities,
                 "Also write probabilities as a multi-component image (component v = p(label v)), e.g. p.nii.gz; a "
                 "folder for a folder input (<name>.nii.gz)");
  sub.add_option("--overlay", r->overlay,
                 "Also write a PNG of the labels over the input, in the model's label-table colours; a folder for a "
                 "folder input");
  sub.add_flag("--tta", r->tta, "Test-time augmentation: average over 8 rotations/flips (2D) or 8 axis flips (3D)");
  sub.add_flag("--class-indices", r->classIndices,
               "Write class indices 0..C-1 (and C probability components) instead of the model's output label values");
  sub.add_option("--overlap", r->overlap, "Overlap of neighbouring windows, fraction in [0, 1)")->default_val(0.5);
  sub.add_option("--window", r->window, "Window size in pixels, e.g. 512x512 (default: the training crop)");
  sub.add_option("--extension", r->extension,
                 "Label file extension for folder outputs, e.g. .png or .nii.gz (default: the input's; .jpg -> .png)");
  sub.add_option("--device", r->device, "auto (CUDA when available), cpu or cuda")->default_val("auto");
  sub.add_option("--batch", r->batch, "Windows per forward pass")->default_val(4);
  sub.add_option("--threads", r->threads, "LibTorch threads (0 = all cores)")->default_val(0);
  sub.add_flag("-q,--quiet", r->quiet, "No progress lines");
  sub.callback([r] { RunPrediction(*r); });
}

const ApplicationRegistration registration{ "predict", "Segment images with a trained network (tiled, Gaussian blending)",
                                            Setup };
} // namespace
} // namespace tessera
