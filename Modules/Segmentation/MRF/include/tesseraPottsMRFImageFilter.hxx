#ifndef tesseraPottsMRFImageFilter_hxx
#define tesseraPottsMRFImageFilter_hxx

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <string>

#include "itkImageRegionConstIteratorWithIndex.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraParallelRanges.h"
#include "tesseraProbabilityImage.h"

namespace tessera
{
template <unsigned int D>
PottsNeighbourhood<D>
MakePottsNeighbourhood(const itk::Vector<double, D> & spacing, bool fullyConnected)
{
  double smallest = spacing[0];
  for (unsigned int d = 0; d < D; ++d)
  {
    if (!(spacing[d] > 0.0) || !std::isfinite(spacing[d]))
    {
      throw Error("probabilities", "spacing must be positive and finite");
    }
    smallest = std::min(smallest, spacing[d]);
  }
  PottsNeighbourhood<D> result;
  // All of {-1, 0, 1}^D in lexicographic order (axis D-1 slowest); negating an offset mirrors
  // its position, so offsets[K-1-k] == -offsets[k].
  unsigned int total = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    total *= 3;
  }
  for (unsigned int code = 0; code < total; ++code)
  {
    itk::Offset<D> offset;
    unsigned int   rest = code;
    unsigned int   nonZero = 0;
    double         squared = 0.0;
    for (unsigned int d = 0; d < D; ++d)
    {
      offset[d] = static_cast<itk::OffsetValueType>(rest % 3) - 1;
      rest /= 3;
      nonZero += offset[d] != 0;
      squared += offset[d] != 0 ? spacing[d] * spacing[d] : 0.0;
    }
    if (nonZero == 0 || (!fullyConnected && nonZero > 1))
    {
      continue;
    }
    result.offsets.push_back(offset);
    result.weights.push_back(smallest / std::sqrt(squared));
  }
  return result;
}

template <unsigned int D>
PottsProblem
MakePottsProblem(const ProbabilityImage<D> * probabilities, const MaskImage<D> * mask, double beta,
                 bool fullyConnected, double epsilon)
{
  if (!probabilities)
  {
    throw Error("probabilities", "no image given");
  }
  if (!(beta >= 0.0) || !std::isfinite(beta))
  {
    throw Error("smoothness", "must be finite and >= 0, not " + std::to_string(beta));
  }
  const auto region = probabilities->GetLargestPossibleRegion();
  if (probabilities->GetBufferedRegion() != region)
  {
    throw Error("probabilities", "must be buffered whole (call Update() on the whole image)");
  }
  if (mask)
  {
    CheckSameGrid(probabilities, "probabilities", mask, "mask");
    if (mask->GetBufferedRegion() != mask->GetLargestPossibleRegion())
    {
      throw Error("mask", "must be buffered whole");
    }
  }
  const auto          neighbourhood = MakePottsNeighbourhood<D>(probabilities->GetSpacing(), fullyConnected);
  const unsigned int  k = static_cast<unsigned int>(neighbourhood.offsets.size());
  std::vector<double> costs(k);
  for (unsigned int i = 0; i < k; ++i)
  {
    costs[i] = beta * neighbourhood.weights[i];
  }
  PottsProblem problem(probabilities->GetBufferPointer(), probabilities->GetNumberOfComponentsPerPixel(),
                       std::move(costs), epsilon);

  const auto    size = region.GetSize();
  std::uint64_t stride[D];
  std::uint64_t numberOfPixels = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    stride[d] = numberOfPixels;
    numberOfPixels *= size[d];
  }
  std::vector<std::int64_t> linearOffset(k);
  for (unsigned int i = 0; i < k; ++i)
  {
    std::int64_t o = 0;
    for (unsigned int d = 0; d < D; ++d)
    {
      o += neighbourhood.offsets[i][d] * static_cast<std::int64_t>(stride[d]);
    }
    linearOffset[i] = o;
  }

  // Number the nodes (pixels inside) in raster order, then list each node's neighbours, both on ITK's threads over
  // ranges of pixels: each range counts first, and a prefix sum over the ranges gives where its nodes and arcs go.
  constexpr auto       outside = std::numeric_limits<PottsProblem::NodeId>::max();
  const std::uint8_t * inside = mask ? mask->GetBufferPointer() : nullptr;
  const unsigned int   units = WorkUnits(numberOfPixels, 0, 65536);
  // Left uninitialised (a vector would clear it on one thread): every entry is written below.
  const std::unique_ptr<PottsProblem::NodeId[]> nodeOf(new PottsProblem::NodeId[numberOfPixels]);
  std::vector<std::uint64_t>                    firstNode(units + 1, 0), firstArc(units + 1, 0);
  ParallelRanges(numberOfPixels, units, [&](size_t begin, size_t end, unsigned int unit) {
    for (size_t i = begin; i < end; ++i)
    {
      firstNode[unit + 1] += !inside || inside[i];
    }
  });
  std::partial_sum(firstNode.begin(), firstNode.end(), firstNode.begin());
  const std::uint64_t count = firstNode.back();
  if (count >= outside - 2)
  {
    throw Error("mask", "more than 2^32 - 3 pixels inside; too large for one graph");
  }
  UninitializedVector<std::uint64_t> pixel(count), rowStart(count + 1);
  UninitializedVector<std::uint8_t>  colour(count);
  rowStart[0] = 0;
  ParallelRanges(numberOfPixels, units, [&](size_t begin, size_t end, unsigned int unit) {
    auto id = static_cast<PottsProblem::NodeId>(firstNode[unit]);
    for (size_t i = begin; i < end; ++i)
    {
      if (!inside || inside[i])
      {
        pixel[id] = i;
        rowStart[id + 1] = 0; // counts the node's arcs below
        nodeOf[i] = id++;
      }
      else
      {
        nodeOf[i] = outside;
      }
    }
  });
  // Calls onNode(node, colour) for each node in pixels [begin, end), then onArc(node, neighbour, class) for each of
  // its neighbours inside, in order. The colour is the parity of x + y (+ z) with face neighbours, of each
  // coordinate with all: neighbours never share it.
  const auto forEachNode = [&](size_t begin, size_t end, auto && onNode, auto && onArc) {
    itk::IndexValueType index[D];
    for (unsigned int d = 0; d < D; ++d)
    {
      index[d] = static_cast<itk::IndexValueType>(begin / stride[d] % size[d]);
    }
    for (size_t i = begin; i < end; ++i)
    {
      if (const auto p = nodeOf[i]; p != outside)
      {
        unsigned int parity = 0;
        for (unsigned int d = 0; d < D; ++d)
        {
          parity = fullyConnected ? parity | (index[d] & 1) << d : parity ^ (index[d] & 1);
        }
        onNode(p, static_cast<std::uint8_t>(parity));
        for (unsigned int c = 0; c < k; ++c)
        {
          bool within = true;
          for (unsigned int d = 0; d < D && within; ++d)
          {
            const auto n = index[d] + neighbourhood.offsets[c][d];
            within = n >= 0 && n < static_cast<itk::IndexValueType>(size[d]);
          }
          if (within)
          {
            if (const auto q = nodeOf[static_cast<std::uint64_t>(static_cast<std::int64_t>(i) + linearOffset[c])];
                q != outside)
            {
              onArc(p, q, static_cast<std::uint8_t>(c));
            }
          }
        }
      }
      for (unsigned int d = 0; d < D; ++d)
      {
        if (++index[d] < static_cast<itk::IndexValueType>(size[d]))
        {
          break;
        }
        index[d] = 0;
      }
    }
  };
  ParallelRanges(numberOfPixels, units, [&](size_t begin, size_t end, unsigned int unit) {
    std::uint64_t arcs = 0;
    forEachNode(
      begin, end, [&](PottsProblem::NodeId p, std::uint8_t c) { colour[p] = c; },
      [&](PottsProblem::NodeId p, PottsProblem::NodeId, std::uint8_t) {
        ++rowStart[p + 1];
        ++arcs;
      });
    firstArc[unit + 1] = arcs;
  });
  std::partial_sum(firstArc.begin(), firstArc.end(), firstArc.begin());
  UninitializedVector<PottsProblem::NodeId> neighbours(firstArc.back());
  UninitializedVector<std::uint8_t>         classes(firstArc.back());
  ParallelRanges(numberOfPixels, units, [&](size_t begin, size_t end, unsigned int unit) {
    // This range's row ends: its nodes' counts summed from its first arc (rowStart[first] is the range before's).
    auto arc = firstArc[unit];
    for (auto p = firstNode[unit]; p < firstNode[unit + 1]; ++p)
    {
      rowStart[p + 1] = arc += rowStart[p + 1];
    }
    arc = firstArc[unit];
    forEachNode(
      begin, end, [](PottsProblem::NodeId, std::uint8_t) {},
      [&](PottsProblem::NodeId, PottsProblem::NodeId q, std::uint8_t c) {
        neighbours[arc] = q;
        classes[arc++] = c;
      });
  });
  problem.SetGraph(std::move(pixel), std::move(rowStart), std::move(neighbours), std::move(classes), std::move(colour));
  return problem;
}

template <unsigned int D>
double
PottsEnergy(const ProbabilityImage<D> * probabilities, const LabelImage<D> * labels, const MaskImage<D> * mask,
            double beta, bool fullyConnected, double epsilon)
{
  if (!probabilities || !labels)
  {
    throw Error("PottsEnergy", "probabilities and labels are required");
  }
  CheckSameGrid(probabilities, "probabilities", labels, "labels");
  if (mask)
  {
    CheckSameGrid(probabilities, "probabilities", mask, "mask");
  }
  const auto region = labels->GetLargestPossibleRegion();
  if (labels->GetBufferedRegion() != region || probabilities->GetBufferedRegion() != probabilities->GetLargestPossibleRegion() ||
      (mask && mask->GetBufferedRegion() != mask->GetLargestPossibleRegion()))
  {
    throw Error("PottsEnergy", "images must be buffered whole");
  }
  const auto         neighbourhood = MakePottsNeighbourhood<D>(probabilities->GetSpacing(), fullyConnected);
  const size_t       k = neighbourhood.offsets.size();
  const unsigned int components = probabilities->GetNumberOfComponentsPerPixel();
  const float *      p = probabilities->GetBufferPointer();
  const LabelPixel * l = labels->GetBufferPointer();
  const std::uint8_t * m = mask ? mask->GetBufferPointer() : nullptr;
  double             unary = 0.0;
  double             pairwise = 0.0;
  for (itk::ImageRegionConstIteratorWithIndex<LabelImage<D>> it(labels, region); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    const auto i = labels->ComputeOffset(index);
    if (m && !m[i])
    {
      continue;
    }
    if (l[i] >= components)
    {
      std::ostringstream s;
      s << "label " << l[i] << " at pixel " << index << " has no probability component (" << components << ")";
      throw Error("labels", s.str());
    }
    unary += -std::log(std::max(static_cast<double>(p[i * components + l[i]]), epsilon));
    // Each unordered pair once: the second half of the offsets.
    for (size_t c = k / 2; c < k; ++c)
    {
      const auto neighbour = index + neighbourhood.offsets[c];
      if (!region.IsInside(neighbour))
      {
        continue;
      }
      const auto j = labels->ComputeOffset(neighbour);
      if ((!m || m[j]) && l[j] != l[i])
      {
        pairwise += beta * neighbourhood.weights[c];
      }
    }
  }
  return unary + pairwise;
}

template <unsigned int D>
PottsMRFImageFilter<D>::PottsMRFImageFilter()
{
  this->SetNumberOfRequiredInputs(1);
  this->AddOptionalInputName("MaskImage");
  this->AddOptionalInputName("InitialLabels");
}

template <unsigned int D>
void
PottsMRFImageFilter<D>::VerifyInputInformation() ITKv5_CONST
{
  const ProbabilityImageType * input = this->GetInput();
  if (!input)
  {
    throw Error("probabilities", "no input image");
  }
  if (const MaskImageType * mask = this->GetMaskImage())
  {
    CheckSameGrid(input, "probabilities", mask, "mask");
  }
  if (const LabelImageType * initial = this->GetInitialLabels())
  {
    CheckSameGrid(input, "probabilities", initial, "initial labels");
  }
}

template <unsigned int D>
void
PottsMRFImageFilter<D>::GenerateInputRequestedRegion()
{
  // The energy couples every pixel: all inputs are needed whole.
  if (auto * input = const_cast<ProbabilityImageType *>(this->GetInput()))
  {
    input->SetRequestedRegionToLargestPossibleRegion();
  }
  if (auto * mask = const_cast<MaskImageType *>(this->GetMaskImage()))
  {
    mask->SetRequestedRegionToLargestPossibleRegion();
  }
  if (auto * initial = const_cast<LabelImageType *>(this->GetInitialLabels()))
  {
    initial->SetRequestedRegionToLargestPossibleRegion();
  }
}

template <unsigned int D>
void
PottsMRFImageFilter<D>::EnlargeOutputRequestedRegion(itk::DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <unsigned int D>
void
PottsMRFImageFilter<D>::GenerateData()
{
  const ProbabilityImageType * input = this->GetInput();
  const MaskImageType *        mask = this->GetMaskImage();
  const LabelImageType *       initial = this->GetInitialLabels();
  this->AllocateOutputs();
  LabelImageType * output = this->GetOutput();
  LabelPixel *     out = output->GetBufferPointer();
  const size_t     pixels = output->GetBufferedRegion().GetNumberOfPixels();
  ParallelRanges(pixels, WorkUnits(pixels, 0, 65536), [out](size_t begin, size_t end, unsigned int) {
    std::fill(out + begin, out + end, LabelPixel{ 0 });
  });
  m_InitialEnergy = 0.0;
  m_Energy = 0.0;
  m_Iterations = 0;
  m_CandidateLabels.clear();

  const PottsProblem problem = MakePottsProblem<D>(input, mask, m_Smoothness, m_FullyConnected, m_Epsilon);
  const size_t       n = problem.GetNumberOfNodes();
  if (n == 0)
  {
    return; // empty mask: all outside
  }
  m_CandidateLabels = problem.CandidateLabels();
  if (m_CandidateLabels.empty())
  {
    throw Error("probabilities", "are zero everywhere inside the mask: no label to choose");
  }
  // The solver works on component indices; the table maps them to label values and back.
  const LabelTable              table = ClassTable<D>(input, "probabilities");
  const std::vector<LabelPixel> classLabels = table.Labels();
  std::vector<LabelPixel>       labels;
  if (initial)
  {
    std::vector<int> componentOf(65536, -1);
    for (size_t c = 0; c < classLabels.size(); ++c)
    {
      componentOf[classLabels[c]] = static_cast<int>(c);
    }
    labels.resize(n);
    const LabelPixel * buffer = initial->GetBufferPointer();
    for (size_t p = 0; p < n; ++p)
    {
      const LabelPixel l = buffer[problem.GetPixel(static_cast<PottsProblem::NodeId>(p))];
      if (componentOf[l] < 0)
      {
        throw Error("initial labels", "label " + std::to_string(l) + " is not a class of the probabilities (" +
                                        std::to_string(classLabels.size()) + " classes)");
      }
      labels[p] = static_cast<LabelPixel>(componentOf[l]);
    }
  }
  else
  {
    labels = problem.ArgmaxLabels();
  }
  m_InitialEnergy = problem.Energy(labels);

  const auto progress = [this](double fraction) {
    this->UpdateProgress(static_cast<float>(fraction));
    if (this->GetAbortGenerateData())
    {
      itk::ProcessAborted e(__FILE__, __LINE__);
      e.SetDescription("PottsMRFImageFilter aborted");
      throw e;
    }
  };
  if (m_Method == MethodType::ICM)
  {
    m_Iterations = problem.SolveICM(labels, m_CandidateLabels, m_MaximumNumberOfIterations, progress);
  }
  else
  {
    m_Iterations = problem.SolveAlphaExpansion(labels, m_CandidateLabels, m_MaximumNumberOfIterations, progress);
  }
  m_Energy = problem.Energy(labels);

  ParallelRanges(n, WorkUnits(n, 0, 65536), [&](size_t begin, size_t end, unsigned int) {
    for (size_t p = begin; p < end; ++p)
    {
      out[problem.GetPixel(static_cast<PottsProblem::NodeId>(p))] = classLabels[labels[p]];
    }
  });
  SetLabelTable(output, table);
}

template <unsigned int D>
void
PottsMRFImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Smoothness: " << m_Smoothness << "\n"
     << indent << "FullyConnected: " << m_FullyConnected << "\n"
     << indent << "Method: " << m_Method << "\n"
     << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << "\n"
     << indent << "Epsilon: " << m_Epsilon << "\n"
     << indent << "InitialEnergy: " << m_InitialEnergy << "\n"
     << indent << "Energy: " << m_Energy << "\n"
     << indent << "Iterations: " << m_Iterations << "\n";
}
} // namespace tessera

#endif
