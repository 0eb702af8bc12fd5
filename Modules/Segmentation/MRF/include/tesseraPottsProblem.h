#ifndef tesseraPottsProblem_h
#define tesseraPottsProblem_h

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <vector>

#include "tesseraImageTypes.h"
#include "tesseraUninitializedVector.h"

namespace tessera
{
/** How PottsMRFImageFilter minimises the Potts energy. */
enum class PottsMRFMethod
{
  /** Iterated conditional modes (Besag, J. R. Stat. Soc. B 48(3), 1986): greedy, colour by colour of a
   * checkerboard (Besag's coding method), each colour on all threads. */
  ICM,
  /** Graph-cut alpha-expansion (Boykov, Veksler, Zabih, IEEE PAMI 23(11), 2001). */
  AlphaExpansion
};
std::ostream & operator<<(std::ostream & os, PottsMRFMethod method);

/** Smallest probability used in the unary term: -log(max(p, epsilon)), so that a zero
 * probability costs -log(1e-6) ~ 13.8 instead of infinity. */
constexpr double DefaultPottsEpsilon = 1e-6;

/** A Potts energy on the graph of the pixels/voxels inside a mask, independent of the image
 * dimension (PottsMRFImageFilter<D> builds it from the image grid):
 *
 *   E(l) = sum_p -log(max(P_p(l_p), epsilon)) + sum_{p~q} c_pq [l_p != l_q],
 *
 * where P_p(c) is component c of pixel p's probability vector and c_pq = beta * w_pq the cost of
 * a label change between neighbours p and q (w_pq: spacing weight, see PottsMRFImageFilter).
 *
 * Nodes are the mask pixels in raster order. Each node lists its neighbours with a
 * neighbourhood "class" k in [0, K): class k is one offset of the neighbourhood and class K-1-k
 * its opposite, so the neighbour lists are symmetric. Node ids are 32-bit; a problem holds at
 * most 2^32 - 3 nodes. */
class PottsProblem
{
public:
  using NodeId = std::uint32_t;
  /** Receives progress fractions in [0, 1]. */
  using ProgressCallback = std::function<void(double)>;

  /** \param probabilities the probability image buffer, numberOfComponents floats per pixel
   *        (must outlive the problem);
   * \param pairCosts beta * w for each neighbourhood class k (K entries, pairCosts[k] ==
   *        pairCosts[K-1-k], all >= 0);
   * \param epsilon smallest probability in the unary term (> 0). */
  PottsProblem(const float * probabilities, unsigned int numberOfComponents, std::vector<double> pairCosts,
               double epsilon = DefaultPottsEpsilon);

  /** Appends the next node: pixel is its index into the probability buffer (in pixels);
   * neighbours[i] (node ids, added before or after this one) has neighbourhood class
   * classes[i]; classes must be strictly increasing. \returns the node's id. */
  NodeId AddNode(std::uint64_t pixel, const NodeId * neighbours, const std::uint8_t * classes, unsigned int count);
  /** The whole graph at once, in the compressed-row form AddNode builds node by node (for builders that fill it on
   * several threads): node p is pixel[p], its neighbours are neighbours[rowStart[p] .. rowStart[p + 1]) with their
   * classes, and colours[p] is its colour in a colouring where neighbours differ (e.g. the parity of x + y + z on a
   * face-connected grid), which ICM sweeps by. Replaces any nodes added before.
   * \throws Error when the sizes disagree, a node id, class or colour order is invalid, or neighbours share a colour. */
  void SetGraph(UninitializedVector<std::uint64_t> pixel, UninitializedVector<std::uint64_t> rowStart,
                UninitializedVector<NodeId> neighbours, UninitializedVector<std::uint8_t> classes,
                UninitializedVector<std::uint8_t> colours);

  std::size_t   GetNumberOfNodes() const { return m_Pixel.size(); }
  std::size_t   GetNumberOfNeighbourPairs() const { return m_Neighbour.size() / 2; }
  unsigned int  GetNumberOfComponents() const { return m_NumberOfComponents; }
  std::uint64_t GetPixel(NodeId p) const { return m_Pixel[p]; }

  /** -log(max(P_p(label), epsilon)); label < number of components. */
  double Unary(NodeId p, LabelPixel label) const;
  /** The labels whose probability is > 0 at one node at least, ascending. */
  std::vector<LabelPixel> CandidateLabels() const;
  /** Per node, the component with the highest probability (the lowest index on ties). */
  std::vector<LabelPixel> ArgmaxLabels() const;
  /** E(labels); labels has one entry per node, each < number of components. */
  double Energy(const std::vector<LabelPixel> & labels) const;

  /** ICM: gives each node the candidate label that minimises its local energy (keeping its label unless another
   * is strictly better), colour by colour of the graph's colouring (Besag's coding method: nodes of one colour are
   * not neighbours, so their moves do not interact, and each colour's nodes are visited at once on ITK's threads;
   * the result does not depend on the thread count); stops after a sweep over all colours that changes nothing, or
   * after maximumIterations sweeps. Every accepted move lowers the energy. The unaries of the candidates are tabled
   * once (8 bytes per node and candidate).
   * \returns the number of sweeps made. */
  unsigned int SolveICM(std::vector<LabelPixel> & labels, const std::vector<LabelPixel> & candidates,
                        unsigned int maximumIterations, const ProgressCallback & progress = {}) const;

  /** Alpha-expansion (Boykov, Veksler, Zabih, IEEE PAMI 23(11), 2001): cycles over the candidate labels alpha;
   * each move lets every node keep its label or take alpha, choosing the best such labelling exactly by an s-t
   * minimum cut of the Kolmogorov-Zabih graph (PAMI 26(2), 2004), computed by GraphCut<float> (the Boykov-Kolmogorov
   * max-flow, PAMI 26(9), 2004). Nodes in the sink's search tree take alpha; free nodes keep their label (of all
   * minimum cuts, the one that changes fewest labels). Before each cut, nodes whose move is known are fixed: those
   * labelled alpha, and those whose unary loss E_p(alpha) - E_p(l_p) exceeds what their pairs could gain, given the
   * neighbours already fixed (fixing keeps every minimum cut, so the result is the same); the graph of each move
   * holds the other nodes only (0.5-7 % of a brain's). A move is kept only if it lowers the energy, whose change is
   * summed in double over the changed nodes and their pairs (capacities are float: the cut may differ from an exact
   * one only where cuts tie within float rounding; the energy never rises). Stops once every candidate has been
   * tried on the current labelling without lowering it (so at the latest after a cycle that lowers nothing; an
   * accepted move counts as the try of its own label, which it cannot improve again), or after maximumIterations
   * cycles. Per-node passes run on ITK's threads; fixing and the max-flow on one.
   * Memory: 9 + 4 x candidates bytes per node besides the problem (fixing flags and bounds, graph ids, the float
   * -log table of the candidates), plus about 32 + 16 x neighbours bytes per node left in a move's graph: ~26 bytes
   * per voxel on a brain (6 neighbours, 3 candidates), at most ~150 where no node can be fixed.
   * \throws Error when labels has not one entry per node or holds a label without a probability component, or
   *         ("graph") when a move's graph would have 2^32 - 4 arcs or more.
   * \returns the number of cycles begun. */
  unsigned int SolveAlphaExpansion(std::vector<LabelPixel> & labels, const std::vector<LabelPixel> & candidates,
                                   unsigned int maximumIterations, const ProgressCallback & progress = {}) const;

  /** Neighbour lists in compressed-row form: node p's neighbours are
   * Neighbours()[RowStart()[p] .. RowStart()[p + 1]), with classes NeighbourClasses(). */
  const UninitializedVector<std::uint64_t> & RowStart() const { return m_RowStart; }
  const UninitializedVector<NodeId> &        Neighbours() const { return m_Neighbour; }
  const UninitializedVector<std::uint8_t> &  NeighbourClasses() const { return m_Class; }
  const std::vector<double> &        PairCosts() const { return m_PairCost; }

private:
  /** -log(max(P_p(c), epsilon)) of every candidate c at every node, [nodes, candidates], in T
   * (double: Unary()'s values exactly), on ITK's threads. */
  template <typename T>
  UninitializedVector<T> UnaryTable(const std::vector<LabelPixel> & candidates) const;

  const float *              m_Probabilities;
  unsigned int               m_NumberOfComponents;
  std::vector<double>        m_PairCost;
  double                     m_Epsilon;
  // Uninitialised on resize: the builders fill them on all threads.
  UninitializedVector<std::uint64_t> m_Pixel;
  UninitializedVector<std::uint64_t> m_RowStart{ 0 };
  UninitializedVector<NodeId>        m_Neighbour;
  UninitializedVector<std::uint8_t>  m_Class;
  /** Per node, a colour no neighbour has: greedy over the neighbours added before (AddNode), or the builder's. */
  UninitializedVector<std::uint8_t>  m_Colour;
};
} // namespace tessera

#endif
