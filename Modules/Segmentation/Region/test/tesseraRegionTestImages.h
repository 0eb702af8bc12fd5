#ifndef tesseraRegionTestImages_h
#define tesseraRegionTestImages_h

// Synthetic images and label images for the Region module's tests, and two checks on filters.
#include <array>
#include <functional>
#include <sstream>
#include <string>

#include "itkImageRegionIteratorWithIndex.h"
#include "itkSLICImageFilter.h"
#include "tesseraError.h"
#include "tesseraImageTypes.h"

namespace tessera::testing
{
/** A LabelImage<D> of the given size, label(index) per pixel. */
template <unsigned int D>
typename LabelImage<D>::Pointer
MakeLabels(const std::array<unsigned int, D> & size, const std::function<LabelPixel(const itk::Index<D> &)> & label)
{
  auto                              image = LabelImage<D>::New();
  typename LabelImage<D>::SizeType s;
  for (unsigned int d = 0; d < D; ++d)
  {
    s[d] = size[d];
  }
  image->SetRegions(s);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<LabelImage<D>> it(image, image->GetBufferedRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    it.Set(label(it.GetIndex()));
  }
  return image;
}

/** A VectorImage<D> of the given size and channels, value(index, channel) per pixel. */
template <unsigned int D>
typename VectorImage<D>::Pointer
MakeImage(const typename VectorImage<D>::SizeType & size, unsigned int channels,
          const std::function<float(const itk::Index<D> &, unsigned int)> & value)
{
  auto image = VectorImage<D>::New();
  image->SetRegions(size);
  image->SetNumberOfComponentsPerPixel(channels);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<VectorImage<D>> it(image, image->GetLargestPossibleRegion());
  itk::VariableLengthVector<float>                  v(channels);
  for (; !it.IsAtEnd(); ++it)
  {
    for (unsigned int c = 0; c < channels; ++c)
    {
      v[c] = value(it.GetIndex(), c);
    }
    it.Set(v);
  }
  return image;
}

/** A label image on image's grid, label(index) per pixel. */
template <unsigned int D, typename TImage>
typename LabelImage<D>::Pointer
MakeLabels(const TImage * grid, const std::function<LabelPixel(const itk::Index<D> &)> & label)
{
  auto labels = LabelImage<D>::New();
  labels->CopyInformation(grid);
  labels->SetRegions(grid->GetLargestPossibleRegion());
  labels->Allocate();
  itk::ImageRegionIteratorWithIndex<LabelImage<D>> it(labels, labels->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    it.Set(label(it.GetIndex()));
  }
  return labels;
}

/** Squared distance in pixels between an index and a centre. */
template <unsigned int D>
double
Distance2(const itk::Index<D> & index, const std::array<double, D> & centre)
{
  double s = 0;
  for (unsigned int d = 0; d < D; ++d)
  {
    s += (index[d] - centre[d]) * (index[d] - centre[d]);
  }
  return s;
}

/** Pixels where two label images differ. */
template <unsigned int D>
size_t
Differences(const LabelImage<D> * a, const LabelImage<D> * b)
{
  const size_t n = a->GetLargestPossibleRegion().GetNumberOfPixels();
  size_t       d = 0;
  for (size_t i = 0; i < n; ++i)
  {
    d += a->GetBufferPointer()[i] != b->GetBufferPointer()[i];
  }
  return d;
}

/** Supervoxels of a scalar volume by ITK SLIC (3 iterations, grid size in voxels), labelled
 * from 1 so that every supervoxel is a region. */
inline LabelImage<3>::Pointer
SlicSupervoxels(const itk::Image<float, 3> * image, unsigned int gridSize)
{
  auto slic = itk::SLICImageFilter<itk::Image<float, 3>, LabelImage<3>>::New();
  slic->SetInput(image);
  slic->SetSuperGridSize(gridSize);
  slic->SetMaximumNumberOfIterations(3);
  // ITK 5.2's connectivity enforcement races between threads (ITK issue #4711) and crashes;
  // disconnected supervoxels are fine for a region adjacency graph.
  slic->SetEnforceConnectivity(false);
  slic->Update();
  LabelImage<3>::Pointer labels = slic->GetOutput();
  for (std::size_t i = 0; i < labels->GetBufferedRegion().GetNumberOfPixels(); ++i)
  {
    labels->GetBufferPointer()[i] += 1;
  }
  return labels;
}

/** What an ITK object's Print() writes (PrintSelf with its superclasses'). */
inline std::string
Printed(const itk::LightObject * object)
{
  std::ostringstream s;
  object->Print(s);
  return s.str();
}

/** The subject of the tessera::Error that run() throws, "no error" when it throws none: which
 * option a bad input is blamed on. */
inline std::string
ErrorSubject(const std::function<void()> & run)
{
  try
  {
    run();
  }
  catch (const Error & e)
  {
    return e.Subject();
  }
  return "no error";
}
} // namespace tessera::testing

#endif
