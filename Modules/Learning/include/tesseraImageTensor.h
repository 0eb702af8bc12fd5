#ifndef tesseraImageTensor_h
#define tesseraImageTensor_h

#include <torch/torch.h>

#include "tesseraImageTypes.h"

/** \file Conversions between ITK images and tensors. Tensor axes are ITK's reversed:
 * a 2D image of size (x = W, y = H) becomes [C, H, W]; a 3D volume (x, y, z) becomes [C, D, H, W]. */
namespace tessera
{
/** [C, (D,) H, W] float copy of a VectorImage's pixels. */
template <unsigned int D>
torch::Tensor ImageToTensor(const VectorImage<D> * image);

/** [(D,) H, W] int64 copy of a label image. */
template <unsigned int D>
torch::Tensor LabelsToTensor(const LabelImage<D> * labels);

/** A label image on reference's grid from a [(D,) H, W] integer tensor. */
template <unsigned int D, typename TReference>
typename LabelImage<D>::Pointer TensorToLabels(const torch::Tensor & labels, const TReference * reference);

/** A ProbabilityImage on reference's grid from [K, (D,) H, W] probabilities: component k of the
 * output is probabilities[k] (set components > K to zero by padding the tensor beforehand). */
template <unsigned int D, typename TReference>
typename ProbabilityImage<D>::Pointer TensorToProbabilities(const torch::Tensor & probabilities, const TReference * reference);
} // namespace tessera

#endif
