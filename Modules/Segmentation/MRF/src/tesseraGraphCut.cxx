#include "tesseraGraphCut.h"

#include <algorithm>
#include <string>

#include "tesseraError.h"

namespace tessera
{
template <typename TCapacity>
GraphCut<TCapacity>::GraphCut(const std::vector<std::uint64_t> & rowStart, const std::vector<NodeId> & heads)
  : m_RowStart(rowStart.data())
  , m_Heads(heads.data())
{
  if (rowStart.empty() || rowStart.front() != 0 || rowStart.back() != heads.size())
  {
    throw Error("graph", "row starts must run from 0 to the number of arcs");
  }
  const std::size_t n = rowStart.size() - 1;
  if (n >= None - 1 || heads.size() >= Orphan)
  {
    throw Error("graph", "too large: " + std::to_string(n) + " nodes and " + std::to_string(heads.size()) +
                           " arcs (at most 2^32 - 2 and 2^32 - 4)");
  }
  for (std::size_t p = 1; p <= n; ++p)
  {
    if (rowStart[p] < rowStart[p - 1])
    {
      throw Error("graph", "row starts must be ascending");
    }
  }
  m_Arcs.assign(heads.size(), Arc{ None, TCapacity(0) });
  // Pair each arc p->q (q > p) with the first unpaired q->p of q's row; arcs towards lower nodes were paired from
  // their head's side.
  for (NodeId p = 0; p < n; ++p)
  {
    for (ArcId a = FirstArc(p); a < FirstArc(p + 1); ++a)
    {
      const NodeId q = heads[a];
      if (q >= n || q == p)
      {
        throw Error("graph", "arc " + std::to_string(p) + "->" + std::to_string(q) + " is a self-loop or leaves the " +
                               std::to_string(n) + " nodes");
      }
      if (q > p)
      {
        ArcId b = FirstArc(q);
        while (b < FirstArc(q + 1) && (heads[b] != p || m_Arcs[b].sister != None))
        {
          ++b;
        }
        if (b < FirstArc(q + 1))
        {
          m_Arcs[a].sister = b;
          m_Arcs[b].sister = a;
        }
      }
      if (m_Arcs[a].sister == None)
      {
        throw Error("graph", "arc " + std::to_string(p) + "->" + std::to_string(q) + " has no reverse arc");
      }
    }
  }
  m_Nodes.assign(n, Node{ TCapacity(0), None, 0, 0, 0, 0 });
}

template <typename TCapacity>
void
GraphCut<TCapacity>::SetActive(NodeId p)
{
  if (!m_Nodes[p].queued)
  {
    m_Nodes[p].queued = 1;
    m_Active.push_back(p);
  }
}

template <typename TCapacity>
typename GraphCut<TCapacity>::NodeId
GraphCut<TCapacity>::NextActive()
{
  while (m_NextActive < m_Active.size())
  {
    const NodeId p = m_Active[m_NextActive++];
    if (m_NextActive > 4096 && 2 * m_NextActive > m_Active.size())
    {
      // Drop the consumed half, so that the FIFO stays within twice the nodes it holds.
      m_Active.erase(m_Active.begin(), m_Active.begin() + static_cast<std::ptrdiff_t>(m_NextActive));
      m_NextActive = 0;
    }
    Node & node = m_Nodes[p];
    node.queued = 0;
    // Nodes freed since they were queued are skipped.
    if (node.parent != None)
    {
      return p;
    }
  }
  return None;
}

template <typename TCapacity>
void
GraphCut<TCapacity>::MakeOrphan(NodeId p)
{
  m_Nodes[p].parent = Orphan;
  m_Orphans.push_back(p);
}

template <typename TCapacity>
void
GraphCut<TCapacity>::Tick()
{
  if (++m_Time == 0)
  {
    // Wrapped: no stored timestamp may equal the current time, or adoption would trust stale distances.
    for (Node & node : m_Nodes)
    {
      node.timestamp = 0;
    }
    m_Time = 1;
  }
}

template <typename TCapacity>
TCapacity
GraphCut<TCapacity>::Augment(ArcId bridge)
{
  const NodeId tail = Tail(bridge);
  const NodeId head = m_Heads[bridge];
  // Bottleneck: in the source tree flow runs from parent to child (the sister of the parent arc), in the sink tree
  // from child to parent (the parent arc itself).
  TCapacity bottleneck = m_Arcs[bridge].residual;
  NodeId    p = tail;
  for (ArcId a = m_Nodes[p].parent; a != Terminal; a = m_Nodes[p].parent)
  {
    bottleneck = std::min(bottleneck, m_Arcs[m_Arcs[a].sister].residual);
    p = m_Heads[a];
  }
  bottleneck = std::min(bottleneck, m_Nodes[p].residual);
  p = head;
  for (ArcId a = m_Nodes[p].parent; a != Terminal; a = m_Nodes[p].parent)
  {
    bottleneck = std::min(bottleneck, m_Arcs[a].residual);
    p = m_Heads[a];
  }
  bottleneck = std::min(bottleneck, -m_Nodes[p].residual);

  m_Arcs[m_Arcs[bridge].sister].residual += bottleneck;
  m_Arcs[bridge].residual -= bottleneck;
  // Orphans are collected from the bridge towards the terminals, then reversed, so that those nearest a terminal
  // (whose subtrees are largest) look for a parent first, as in Kolmogorov's implementation.
  p = tail;
  for (ArcId a = m_Nodes[p].parent; a != Terminal; a = m_Nodes[p].parent)
  {
    Arc & down = m_Arcs[m_Arcs[a].sister];
    m_Arcs[a].residual += bottleneck;
    down.residual -= bottleneck;
    const NodeId up = m_Heads[a];
    if (down.residual == 0)
    {
      MakeOrphan(p);
    }
    p = up;
  }
  m_Nodes[p].residual -= bottleneck;
  if (m_Nodes[p].residual == 0)
  {
    MakeOrphan(p);
  }
  p = head;
  for (ArcId a = m_Nodes[p].parent; a != Terminal; a = m_Nodes[p].parent)
  {
    m_Arcs[m_Arcs[a].sister].residual += bottleneck;
    m_Arcs[a].residual -= bottleneck;
    const NodeId up = m_Heads[a];
    if (m_Arcs[a].residual == 0)
    {
      MakeOrphan(p);
    }
    p = up;
  }
  m_Nodes[p].residual += bottleneck;
  if (m_Nodes[p].residual == 0)
  {
    MakeOrphan(p);
  }
  std::reverse(m_Orphans.begin(), m_Orphans.end());
  return bottleneck;
}

template <typename TCapacity>
void
GraphCut<TCapacity>::Adopt(NodeId p)
{
  Node &       orphan = m_Nodes[p];
  const bool   sink = orphan.sink;
  const ArcId  end = FirstArc(p + 1);
  ArcId        best = None;
  std::uint32_t bestDistance = None;
  for (ArcId a = FirstArc(p); a < end; ++a)
  {
    // A candidate parent q is in the same tree and can carry flow: q->p in the source tree, p->q in the sink tree.
    const Arc & arc = m_Arcs[a];
    if ((sink ? arc.residual : m_Arcs[arc.sister].residual) == 0)
    {
      continue;
    }
    const NodeId q = m_Heads[a];
    if (m_Nodes[q].parent == None || m_Nodes[q].sink != sink)
    {
      continue;
    }
    // Follow q's parents to the terminal (valid) or an orphan (invalid); a node stamped with the current time was
    // found valid since the last augmentation, at its stored distance.
    std::uint32_t distance = 0;
    for (NodeId r = q;;)
    {
      Node & node = m_Nodes[r];
      if (node.timestamp == m_Time)
      {
        distance += node.distance;
        break;
      }
      ++distance;
      if (node.parent == Terminal)
      {
        node.timestamp = m_Time;
        node.distance = 1;
        break;
      }
      if (node.parent == Orphan)
      {
        distance = None;
        break;
      }
      r = m_Heads[node.parent];
    }
    if (distance == None)
    {
      continue;
    }
    if (distance < bestDistance)
    {
      best = a;
      bestDistance = distance;
    }
    // Stamp the path, so that later searches stop at it.
    for (NodeId r = q; m_Nodes[r].timestamp != m_Time; r = m_Heads[m_Nodes[r].parent])
    {
      m_Nodes[r].timestamp = m_Time;
      m_Nodes[r].distance = distance--;
    }
  }
  if (best != None)
  {
    orphan.parent = best;
    orphan.timestamp = m_Time;
    orphan.distance = bestDistance + 1;
    return;
  }
  // No parent: p becomes free. Its children become orphans; neighbours in its tree that could grow into it again
  // become active.
  orphan.parent = None;
  for (ArcId a = FirstArc(p); a < end; ++a)
  {
    const Arc &  arc = m_Arcs[a];
    const NodeId q = m_Heads[a];
    Node &       node = m_Nodes[q];
    if (node.parent == None || node.sink != sink)
    {
      continue;
    }
    if ((sink ? arc.residual : m_Arcs[arc.sister].residual) != 0)
    {
      SetActive(q);
    }
    if (node.parent != Terminal && node.parent != Orphan && m_Heads[node.parent] == p)
    {
      MakeOrphan(q);
    }
  }
}

template <typename TCapacity>
double
GraphCut<TCapacity>::ComputeMaximumFlow()
{
  const auto n = static_cast<NodeId>(m_Nodes.size());
  m_Active.clear();
  m_NextActive = 0;
  m_Orphans.clear();
  m_Time = 0;
  for (NodeId p = 0; p < n; ++p)
  {
    Node & node = m_Nodes[p];
    node.queued = 0;
    node.timestamp = 0;
    node.distance = 1;
    if (node.residual != 0)
    {
      node.parent = Terminal;
      node.sink = node.residual < 0;
      SetActive(p);
    }
    else
    {
      node.parent = None;
    }
  }

  double flow = 0.0;
  NodeId current = None; // the node grown last, kept while it still finds paths
  for (;;)
  {
    NodeId p = current;
    if (p != None)
    {
      m_Nodes[p].queued = 0;
      if (m_Nodes[p].parent == None)
      {
        p = None;
      }
    }
    if (p == None && (p = NextActive()) == None)
    {
      break;
    }

    // Growth: claim free neighbours, stop at the first arc into the other tree, and re-hang neighbours of the same
    // tree under p when that shortens their (still valid) path to the terminal.
    Node &      node = m_Nodes[p];
    ArcId       bridge = None;
    const ArcId end = FirstArc(p + 1);
    for (ArcId a = FirstArc(p); a < end; ++a)
    {
      const Arc & arc = m_Arcs[a];
      if ((node.sink ? m_Arcs[arc.sister].residual : arc.residual) == 0)
      {
        continue;
      }
      const NodeId q = m_Heads[a];
      Node &       neighbour = m_Nodes[q];
      if (neighbour.parent == None)
      {
        neighbour.sink = node.sink;
        neighbour.parent = arc.sister;
        neighbour.timestamp = node.timestamp;
        neighbour.distance = node.distance + 1;
        SetActive(q);
      }
      else if (neighbour.sink != node.sink)
      {
        bridge = node.sink ? arc.sister : a;
        break;
      }
      else if (neighbour.timestamp <= node.timestamp && neighbour.distance > node.distance)
      {
        neighbour.parent = arc.sister;
        neighbour.timestamp = node.timestamp;
        neighbour.distance = node.distance + 1;
      }
    }
    Tick();
    if (bridge == None)
    {
      current = None;
      continue;
    }
    // p stays current (marked queued, so adoption does not queue it again) and grows again next.
    node.queued = 1;
    current = p;
    flow += Augment(bridge);
    for (std::size_t i = 0; i < m_Orphans.size(); ++i) // Adopt() appends new orphans
    {
      Adopt(m_Orphans[i]);
    }
    m_Orphans.clear();
  }
  return flow;
}

template class GraphCut<float>;
template class GraphCut<double>;
} // namespace tessera
