// tessera train: trains a segmentation network from a JSON config (Documentation/Applications/train.md).
#include "tesseraApplication.h"
#include "tesseraTraining.h"

namespace tessera
{
namespace
{
void
Setup(CLI::App & sub)
{
  auto r = std::make_shared<TrainingRequest>();
  sub.add_option("config", r->config,
                 "Training config (JSON): data, label mapping, network, loss, optimiser, schedule, augmentation")
    ->required();
  sub.add_option("-o,--output", r->output,
                 "Output folder for best.pt, last.pt, training.csv and config.json (default: the config's \"output\")");
  sub.add_option("--seed", r->seed,
                 "Random seed: with it, initialisation, sampling and augmentation are reproducible (default: random, "
                 "printed)");
  sub.add_flag("--resume", r->resume, "Continue from <output>/last.pt (its epoch, weights, optimiser and schedule)");
  sub.add_option("--threads", r->threads, "LibTorch threads (0 = all cores)")->default_val(0);
  sub.add_flag("-q,--quiet", r->quiet, "No progress or per-epoch lines");
  sub.callback([r, &sub] {
    r->seedGiven = sub.count("--seed") > 0;
    RunTraining(*r);
  });
}

const ApplicationRegistration registration{ "train", "Train a segmentation network (U-Net, FPN, ...) with LibTorch",
                                            Setup };
} // namespace
} // namespace tessera
