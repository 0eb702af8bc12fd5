#include "tesseraWeakSupervision.h"

#include "tesseraError.h"
#include "tesseraPottsMRFImageFilter.h"

namespace tessera
{
namespace
{
template <unsigned int D>
torch::Tensor
HiddenLabels(const torch::Tensor & probabilities, const torch::Tensor & given, double beta)
{
  // ITK's buffer is pixel-interleaved with x fastest: the tensor with its class axis moved last.
  const auto          interleaved = probabilities.movedim(0, -1).contiguous();
  auto                image = ProbabilityImage<D>::New();
  itk::Size<D>        size;
  for (unsigned int a = 0; a < D; ++a)
    size[a] = static_cast<itk::SizeValueType>(given.size(D - 1 - a));
  image->SetRegions(size);
  image->SetNumberOfComponentsPerPixel(static_cast<unsigned int>(probabilities.size(0)));
  image->Allocate();
  std::copy_n(interleaved.data_ptr<float>(), interleaved.numel(), image->GetBufferPointer());
  const PottsProblem      problem = MakePottsProblem<D>(image.GetPointer(), nullptr, beta, false, DefaultPottsEpsilon);
  std::vector<LabelPixel> labels = problem.ArgmaxLabels();
  problem.SolveAlphaExpansion(labels, problem.CandidateLabels(), 20);
  auto      out = torch::empty(given.sizes(), torch::kShort);
  int16_t * o = out.data_ptr<int16_t>();
  for (size_t p = 0; p < labels.size(); ++p)
    o[problem.GetPixel(static_cast<PottsProblem::NodeId>(p))] = static_cast<int16_t>(labels[p]);
  return out;
}
} // namespace

torch::Tensor
PottsHiddenLabels(const torch::Tensor & probabilities, const torch::Tensor & given, double beta)
{
  const int64_t classes = probabilities.size(0);
  if ((given.dim() != 2 && given.dim() != 3) || probabilities.dim() != given.dim() + 1 ||
      probabilities.sizes().slice(1).vec() != given.sizes().vec())
    throw Error("weak supervision", "expected probabilities [K, (D,) H, W] and given labels [(D,) H, W] of one size");
  const auto labels = given.to(torch::kLong);
  if (labels.max().item<int64_t>() >= classes)
    throw Error("weak supervision", "a given label is not one of the " + std::to_string(classes) + " classes");
  // One-hot where a label is given: the unary cost of any other class is then -log(epsilon), 13.8 nats.
  const auto known = labels >= 0;
  const auto oneHot = torch::one_hot(labels.clamp_min(0), classes).movedim(-1, 0).to(torch::kFloat);
  const auto p = torch::where(known.unsqueeze(0), oneHot, probabilities.to(torch::kFloat).cpu());
  auto       hidden = given.dim() == 2 ? HiddenLabels<2>(p, labels, beta) : HiddenLabels<3>(p, labels, beta);
  // ... and kept exactly, whatever β.
  return torch::where(known, labels, hidden.to(torch::kLong)).to(torch::kShort);
}
} // namespace tessera
