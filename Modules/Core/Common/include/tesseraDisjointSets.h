#ifndef tesseraDisjointSets_h
#define tesseraDisjointSets_h

#include <cstddef>
#include <numeric>
#include <vector>

namespace tessera
{
/** Disjoint sets (union-find) over the elements 0..n-1, each first in a set of its own.
 *
 * Join(from, into) makes the root of `into`'s set the root of the union, so a caller decides
 * which element represents a set: merging keeps the surviving region's label. (No union by
 * rank, which would choose the root itself; path halving keeps Find() short.)
 *
 * \code
 * tessera::DisjointSets<LabelPixel> sets(65536);
 * sets.Join(3, 1);  // 3's set joins 1's: Find(3) == 1
 * \endcode */
template <typename TElement>
class DisjointSets
{
public:
  explicit DisjointSets(std::size_t n = 0)
    : m_Parent(n)
  {
    std::iota(m_Parent.begin(), m_Parent.end(), TElement{ 0 });
  }

  std::size_t Size() const { return m_Parent.size(); }

  /** The root of x's set. */
  TElement Find(TElement x)
  {
    while (m_Parent[x] != x)
    {
      m_Parent[x] = m_Parent[m_Parent[x]];
      x = m_Parent[x];
    }
    return x;
  }

  /** Unites the sets of `from` and `into`; the root of `into`'s set stays the root. */
  void Join(TElement from, TElement into) { m_Parent[Find(from)] = Find(into); }

private:
  std::vector<TElement> m_Parent;
};
} // namespace tessera

#endif
