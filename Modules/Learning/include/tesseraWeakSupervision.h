#ifndef tesseraWeakSupervision_h
#define tesseraWeakSupervision_h

#include <torch/torch.h>

/** \file Training from weak labels (scribbles, points, coarse or partial masks: label images whose unlabelled pixels
 * carry an ignore value) with a Potts term on the network's output, by alternating direction (Marin, Tang, Ben Ayed,
 * Boykov, "Beyond gradient descent for regularized segmentation losses", CVPR 2019): hidden labels Y, the Potts
 * labelling nearest the network's probabilities that keeps the given labels, are found by graph cuts (our
 * alpha-expansion, PottsMRFImageFilter); network steps then fit Y. */
namespace tessera
{
/** Hidden labels Y = argmin Σ_p −log P_p(Y_p) + β Σ_{p~q} w_pq [Y_p ≠ Y_q] over the face neighbours (w_pq = 1),
 * with P the network's probabilities, one-hot where a label is given; given labels are kept exactly. Alpha-expansion
 * (exact for two classes). probabilities [K, (D,) H, W] float (CPU); given [(D,) H, W] integer, -1 = unlabelled;
 * beta ≥ 0 in nats per label change. \returns [(D,) H, W] int16 on the CPU.
 * \throws Error when the shapes disagree or a given label is ≥ K. */
torch::Tensor PottsHiddenLabels(const torch::Tensor & probabilities, const torch::Tensor & given, double beta);
} // namespace tessera

#endif
