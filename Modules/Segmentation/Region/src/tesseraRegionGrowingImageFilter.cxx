// Seeded region growing: interval (ITK ConnectedThreshold), confidence (ITK
// [Vector]ConfidenceConnected) and mean-distance competition (Adams & Bischof 1994).
#include "tesseraRegionGrowingImageFilter.h"

#include <cmath>
#include <map>
#include <queue>
#include <sstream>

#include "itkConfidenceConnectedImageFilter.h"
#include "itkConnectedThresholdImageFilter.h"
#include "itkVectorConfidenceConnectedImageFilter.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraRegionGrid.h"

namespace tessera
{
namespace
{
template <unsigned int D>
std::string
IndexText(const itk::Index<D> & index)
{
  std::ostringstream s;
  s << "(";
  for (unsigned int d = 0; d < D; ++d)
  {
    s << (d ? "," : "") << index[d];
  }
  s << ")";
  return s.str();
}

template <unsigned int D>
typename ScalarImage<D>::Pointer
FirstChannel(const VectorImage<D> * image)
{
  auto out = ScalarImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->Allocate();
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    out->GetBufferPointer()[i] = image->GetBufferPointer()[i * nc];
  }
  return out;
}

std::vector<double>
PerChannel(const std::vector<double> & v, unsigned int nc, const std::string & option)
{
  if (v.size() == 1)
  {
    return std::vector<double>(nc, v[0]);
  }
  if (v.size() != nc)
  {
    throw Error(option, "gives " + std::to_string(v.size()) + " values for an image with " + std::to_string(nc) +
                          " channels (give 1 or " + std::to_string(nc) + ")");
  }
  return v;
}
} // namespace

template <unsigned int D>
itk::Index<D>
SeedIndexFromPoint(const itk::ImageBase<D> * image, const itk::Point<double, D> & point, const std::string & option)
{
  itk::Index<D> index;
  const bool    inside = image->TransformPhysicalPointToIndex(point, index);
  if (!inside)
  {
    std::ostringstream s;
    s << "point (";
    for (unsigned int d = 0; d < D; ++d)
    {
      s << (d ? "," : "") << point[d];
    }
    s << ") mm lies outside the image (" << image->GetLargestPossibleRegion().GetSize() << " voxels from origin "
      << image->GetOrigin() << " mm)";
    throw Error(option, s.str());
  }
  return index;
}

template <unsigned int D>
void
RegionGrowingImageFilter<D>::GenerateData()
{
  const InputImageType * image = this->GetInput();
  const unsigned int     nc = image->GetNumberOfComponentsPerPixel();
  const auto             region = image->GetLargestPossibleRegion();
  const size_t           n = region.GetNumberOfPixels();
  const float *          data = image->GetBufferPointer();

  // Seeds: from points, then from the seed image.
  std::map<LabelPixel, std::vector<IndexType>> seeds;
  for (const auto & seed : m_Seeds)
  {
    if (!region.IsInside(seed.index))
    {
      std::ostringstream s;
      s << region.GetSize();
      throw Error("seed", "index " + IndexText<D>(seed.index) + " lies outside the image of " + s.str() + " voxels");
    }
    if (seed.label == 0)
    {
      throw Error("seed", "label 0 is the background; seed labels are 1-65535");
    }
    seeds[seed.label].push_back(seed.index);
  }
  if (const LabelImageType * seedImage = this->GetSeedImage())
  {
    CheckSameGrid(image, "the image", seedImage, "seeds");
    size_t found = 0;
    for (size_t i = 0; i < n; ++i)
    {
      const LabelPixel l = seedImage->GetBufferPointer()[i];
      if (l != 0)
      {
        seeds[l].push_back(seedImage->ComputeIndex(static_cast<itk::OffsetValueType>(i)));
        ++found;
      }
    }
    if (found == 0)
    {
      throw Error("seeds", "the seed image is empty (no non-zero voxel)");
    }
  }
  if (seeds.empty())
  {
    throw Error("seed", "no seed given (give seed points or a seed label image)");
  }

  LabelImageType * out = this->AllocateLabelOutput();
  LabelPixel *     labels = out->GetBufferPointer();
  const auto       stamp = [&](const itk::Image<LabelPixel, D> * grown, LabelPixel label) {
    const LabelPixel * g = grown->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      if (g[i] && !labels[i])
      {
        labels[i] = label;
      }
    }
  };
  size_t done = 0;

  switch (m_Criterion)
  {
    case CriterionType::Interval:
    {
      const auto lower = PerChannel(m_Lower, nc, "lower");
      const auto upper = PerChannel(m_Upper, nc, "upper");
      for (unsigned int c = 0; c < nc; ++c)
      {
        if (!(lower[c] <= upper[c]))
        {
          throw Error("lower", "the interval's lower bound exceeds its upper bound");
        }
      }
      if (nc == 1)
      {
        auto scalar = FirstChannel<D>(image);
        for (const auto & [label, indices] : seeds)
        {
          auto f = itk::ConnectedThresholdImageFilter<ScalarImage<D>, LabelImageType>::New();
          f->SetInput(scalar);
          f->SetLower(static_cast<float>(std::max<double>(lower[0], -std::numeric_limits<float>::max())));
          f->SetUpper(static_cast<float>(std::min<double>(upper[0], std::numeric_limits<float>::max())));
          f->SetReplaceValue(1);
          f->SetConnectivity(m_FullyConnected ? itk::ConnectedThresholdImageFilter<ScalarImage<D>, LabelImageType>::FullConnectivity
                                              : itk::ConnectedThresholdImageFilter<ScalarImage<D>, LabelImageType>::FaceConnectivity);
          for (const auto & index : indices)
          {
            f->AddSeed(index);
          }
          f->Update();
          stamp(f->GetOutput(), label);
          this->UpdateProgress(static_cast<float>(++done) / seeds.size());
        }
        break;
      }
      // Multichannel: the same flood fill, every channel within its interval.
      const detail::Grid<D> grid(image, m_FullyConnected);
      auto                  accept = [&](size_t i) {
        for (unsigned int c = 0; c < nc; ++c)
        {
          const double v = data[i * nc + c];
          if (v < lower[c] || v > upper[c])
          {
            return false;
          }
        }
        return true;
      };
      for (const auto & [label, indices] : seeds)
      {
        std::vector<char>   visited(n, 0);
        std::vector<size_t> stack;
        for (const auto & index : indices)
        {
          const size_t i = static_cast<size_t>(image->ComputeOffset(index));
          if (!visited[i] && accept(i))
          {
            visited[i] = 1;
            stack.push_back(i);
          }
        }
        while (!stack.empty())
        {
          const size_t i = stack.back();
          stack.pop_back();
          if (!labels[i])
          {
            labels[i] = label;
          }
          grid.ForEachNeighbour(i, [&](size_t j) {
            if (!visited[j] && accept(j))
            {
              visited[j] = 1;
              stack.push_back(j);
            }
          });
        }
        this->UpdateProgress(static_cast<float>(++done) / seeds.size());
      }
      break;
    }
    case CriterionType::Confidence:
    {
      if (!(m_Multiplier > 0.0))
      {
        throw Error("multiplier", "must be > 0 (the k in mean ± k·sigma)");
      }
      // One ITK confidence-connected run per label: scalar for grey, vector for colour.
      auto growEach = [&](auto newFilter, const auto * input) {
        for (const auto & [label, indices] : seeds)
        {
          auto f = newFilter();
          f->SetInput(input);
          f->SetMultiplier(m_Multiplier);
          f->SetNumberOfIterations(m_NumberOfIterations);
          f->SetInitialNeighborhoodRadius(m_InitialNeighborhoodRadius);
          f->SetReplaceValue(1);
          for (const auto & index : indices)
          {
            f->AddSeed(index);
          }
          f->Update();
          stamp(f->GetOutput(), label);
          this->UpdateProgress(static_cast<float>(++done) / seeds.size());
        }
      };
      if (nc == 1)
      {
        auto scalar = FirstChannel<D>(image);
        growEach([] { return itk::ConfidenceConnectedImageFilter<ScalarImage<D>, LabelImageType>::New(); },
                 scalar.GetPointer());
      }
      else
      {
        growEach([] { return itk::VectorConfidenceConnectedImageFilter<InputImageType, LabelImageType>::New(); }, image);
      }
      break;
    }
    case CriterionType::MeanDistance:
    {
      if (!(m_MaximumDistance > 0.0))
      {
        throw Error("max-distance", "must be > 0 (intensity units)");
      }
      const detail::Grid<D> grid(image, m_FullyConnected);
      // Region sums for the running means, indexed by label.
      std::map<LabelPixel, std::pair<std::vector<double>, size_t>> stats;
      struct Entry
      {
        double     distance;
        size_t     order;
        size_t     pixel;
        LabelPixel label;
        bool       operator>(const Entry & o) const
        {
          return distance != o.distance ? distance > o.distance : order > o.order;
        }
      };
      std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
      size_t                                                              order = 0;
      auto distance = [&](size_t i, LabelPixel label) {
        const auto & [sum, count] = stats[label];
        double d2 = 0.0;
        for (unsigned int c = 0; c < nc; ++c)
        {
          const double dv = data[i * nc + c] - sum[c] / static_cast<double>(count);
          d2 += dv * dv;
        }
        return std::sqrt(d2);
      };
      auto join = [&](size_t i, LabelPixel label) {
        labels[i] = label;
        auto & [sum, count] = stats[label];
        if (sum.empty())
        {
          sum.assign(nc, 0.0);
        }
        for (unsigned int c = 0; c < nc; ++c)
        {
          sum[c] += data[i * nc + c];
        }
        ++count;
      };
      std::vector<size_t> seeded;
      for (const auto & [label, indices] : seeds)
      {
        for (const auto & index : indices)
        {
          const size_t i = static_cast<size_t>(image->ComputeOffset(index));
          if (!labels[i])
          {
            join(i, label);
            seeded.push_back(i);
          }
        }
      }
      auto pushNeighbours = [&](size_t i) {
        const LabelPixel label = labels[i];
        grid.ForEachNeighbour(i, [&](size_t j) {
          if (!labels[j])
          {
            queue.push({ distance(j, label), order++, j, label });
          }
        });
      };
      for (const size_t i : seeded)
      {
        pushNeighbours(i);
      }
      size_t       labelled = seeded.size();
      const size_t step = std::max<size_t>(1, n / 100);
      while (!queue.empty())
      {
        const Entry e = queue.top();
        queue.pop();
        if (labels[e.pixel] || e.distance > m_MaximumDistance)
        {
          continue;
        }
        join(e.pixel, e.label);
        pushNeighbours(e.pixel);
        if (++labelled % step == 0)
        {
          this->UpdateProgress(static_cast<float>(labelled) / n);
        }
      }
      break;
    }
  }
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
RegionGrowingImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  const auto list = [](const std::vector<double> & values) {
    std::ostringstream s;
    for (std::size_t c = 0; c < values.size(); ++c)
    {
      s << (c ? " " : "") << values[c];
    }
    return s.str();
  };
  os << indent << "Seeds: " << m_Seeds.size() << std::endl;
  os << indent << "Criterion: "
     << (m_Criterion == CriterionType::Interval     ? "Interval"
         : m_Criterion == CriterionType::Confidence ? "Confidence"
                                                    : "MeanDistance")
     << std::endl;
  os << indent << "Lower: " << list(m_Lower) << std::endl;
  os << indent << "Upper: " << list(m_Upper) << std::endl;
  os << indent << "Multiplier: " << m_Multiplier << std::endl;
  os << indent << "NumberOfIterations: " << m_NumberOfIterations << std::endl;
  os << indent << "InitialNeighborhoodRadius: " << m_InitialNeighborhoodRadius << std::endl;
  os << indent << "MaximumDistance: " << m_MaximumDistance << std::endl;
  os << indent << "FullyConnected: " << (m_FullyConnected ? "On" : "Off") << std::endl;
}

template class RegionGrowingImageFilter<2>;
template class RegionGrowingImageFilter<3>;
template itk::Index<2> SeedIndexFromPoint<2>(const itk::ImageBase<2> *, const itk::Point<double, 2> &,
                                              const std::string &);
template itk::Index<3> SeedIndexFromPoint<3>(const itk::ImageBase<3> *, const itk::Point<double, 3> &,
                                              const std::string &);
} // namespace tessera
