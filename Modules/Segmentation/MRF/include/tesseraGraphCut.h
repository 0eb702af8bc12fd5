#ifndef tesseraGraphCut_h
#define tesseraGraphCut_h

#include <cstdint>
#include <type_traits>
#include <vector>

namespace tessera
{
/** Maximum s-t flow and minimum cut by the Boykov-Kolmogorov algorithm (Boykov & Kolmogorov, "An experimental
 * comparison of min-cut/max-flow algorithms for energy minimization in vision", IEEE PAMI 26(9), 2004), with the
 * timestamp/distance heuristic of Kolmogorov's maxflow v3 implementation for choosing parents during adoption.
 *
 * Two search trees grow from the source and the sink over arcs with residual capacity (active nodes in a FIFO);
 * when they touch, flow is pushed along the path found (augmentation); nodes whose parent arc saturates become
 * orphans and look for a new parent in their own tree or become free (adoption). At the end the source tree holds
 * exactly the nodes reachable from the source in the residual graph and the sink tree those that reach the sink,
 * whatever maximum flow was found: both are minimum cuts, the same as any exact max-flow code gives.
 *
 * The graph is fixed at construction: arcs in compressed rows with 32-bit indices, each with its reverse ("sister")
 * arc. Capacities are set, then ComputeMaximumFlow() turns them into residuals; set them again for another cut of
 * the same graph. A node's two terminal arcs are stored as one signed residual (source minus sink capacity, as in
 * Kolmogorov's implementation): min(source, sink) is flow that every cut pays, which the caller adds.
 *
 * Memory: 16 bytes per node and 8 per arc with float capacities (64 bytes per node of a 6-connected grid), 24 and
 * 16 with double, besides the caller's rows and heads; plus the active FIFO (at most a few node ids per node) and
 * the orphan list (the orphans of one augmentation). Single-threaded.
 *
 * \tparam TCapacity float or double. Rounding never makes a residual negative (x - b >= 0 for b <= x), and the
 *         saturated arc of each augmentation becomes exactly 0, so the algorithm terminates with a cut that is
 *         minimum up to rounding of the flows (float: ~1e-7 relative). */
template <typename TCapacity>
class GraphCut
{
  static_assert(std::is_floating_point_v<TCapacity>, "capacities are float or double");

public:
  using CapacityType = TCapacity;
  using NodeId = std::uint32_t;
  using ArcId = std::uint32_t;
  /** Which search tree a node ended in: Source (reachable from the source), Sink (reaches the sink), or Free
   * (neither). Source tree | the rest and the rest | sink tree are both minimum cuts, the extreme ones. */
  enum class Tree : std::uint8_t
  {
    Free,
    Source,
    Sink
  };

  /** Builds the graph; all capacities 0. Keeps references to rowStart and heads, which must outlive the graph
   * unchanged (rows the caller has already need no copy).
   * \param rowStart n + 1 ascending arc offsets: node p's arcs are rowStart[p] .. rowStart[p + 1] - 1;
   *        rowStart[0] == 0, rowStart[n] == heads.size().
   * \param heads the node each arc points to. Every arc p->q (p != q) must have a reverse q->p; parallel arcs
   *        pair in the order they appear.
   * \throws Error ("graph") for malformed rows, self-loops, an arc without reverse, or more than 2^32 - 4 arcs
   *         or 2^32 - 2 nodes. */
  GraphCut(const std::vector<std::uint64_t> & rowStart, const std::vector<NodeId> & heads);

  std::size_t GetNumberOfNodes() const { return m_Nodes.size(); }
  std::size_t GetNumberOfArcs() const { return m_Arcs.size(); }
  /** Node p's arcs are FirstArc(p) .. FirstArc(p + 1) - 1, in the order of the heads given. */
  ArcId  FirstArc(NodeId p) const { return static_cast<ArcId>(m_RowStart[p]); }
  NodeId GetHead(ArcId a) const { return m_Heads[a]; }
  ArcId  GetSister(ArcId a) const { return m_Arcs[a].sister; }

  /** Residual capacity of arc a (>= 0; its capacity until a flow is computed). */
  void      SetArcCapacity(ArcId a, TCapacity capacity) { m_Arcs[a].residual = capacity; }
  TCapacity GetArcResidual(ArcId a) const { return m_Arcs[a].residual; }
  /** Terminal residual of node p: c > 0 is the capacity of source->p, c < 0 that of p->sink (-c). */
  void      SetTerminalCapacity(NodeId p, TCapacity c) { m_Nodes[p].residual = c; }
  TCapacity GetTerminalResidual(NodeId p) const { return m_Nodes[p].residual; }

  /** Pushes a maximum flow through the current residual capacities (which it updates) and grows the search trees
   * that give the minimum cut. Starts new trees: it does not reuse those of a previous call.
   * \returns the flow pushed, in capacity units, summed in double. */
  double ComputeMaximumFlow();

  /** The search tree of node p after ComputeMaximumFlow(). */
  Tree GetTree(NodeId p) const
  {
    const Node & node = m_Nodes[p];
    return node.parent == None ? Tree::Free : node.sink ? Tree::Sink : Tree::Source;
  }

private:
  // Special parent "arcs"; real arc ids are below them.
  static constexpr ArcId None = 0xFFFFFFFFu;
  static constexpr ArcId Terminal = 0xFFFFFFFEu;
  static constexpr ArcId Orphan = 0xFFFFFFFDu;

  struct Arc
  {
    ArcId     sister;
    TCapacity residual;
  };
  struct Node
  {
    TCapacity     residual;        // terminal residual, source minus sink
    ArcId         parent;          // arc to the parent (towards the tree's terminal), or None/Terminal/Orphan
    std::uint32_t timestamp;       // time at which distance was last known to be valid
    std::uint32_t distance : 30;   // arcs to the terminal, an estimate (only guides the choice of parents)
    std::uint32_t sink : 1;        // tree, when parent != None
    std::uint32_t queued : 1;      // in the active FIFO, or the node being grown
  };

  void   SetActive(NodeId p);
  NodeId NextActive();
  void   MakeOrphan(NodeId p);
  /** Pushes the bottleneck along source -> ... -> tail(bridge) -> head(bridge) -> ... -> sink. */
  TCapacity Augment(ArcId bridge);
  void      Adopt(NodeId p);
  void      Tick();
  NodeId    Tail(ArcId a) const { return m_Heads[m_Arcs[a].sister]; }

  const std::uint64_t * m_RowStart;
  const NodeId *        m_Heads;
  std::vector<Arc>      m_Arcs;
  std::vector<Node>     m_Nodes;
  std::vector<NodeId>   m_Active; // FIFO from m_NextActive
  std::size_t           m_NextActive = 0;
  std::vector<NodeId>   m_Orphans; // a FIFO during adoption
  std::uint32_t         m_Time = 0;
};

extern template class GraphCut<float>;
extern template class GraphCut<double>;
} // namespace tessera

#endif
