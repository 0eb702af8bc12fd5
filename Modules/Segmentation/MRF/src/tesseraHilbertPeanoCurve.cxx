#include "tesseraHilbertPeanoCurve.h"

#include <array>
#include <cstdint>
#include <cstdlib>

#include "tesseraError.h"

namespace tessera
{
namespace
{
using Vec = std::array<int64_t, 3>;

Vec
operator+(const Vec & a, const Vec & b)
{
  return { a[0] + b[0], a[1] + b[1], a[2] + b[2] };
}
Vec
operator-(const Vec & a, const Vec & b)
{
  return { a[0] - b[0], a[1] - b[1], a[2] - b[2] };
}
Vec
operator-(const Vec & a)
{
  return { -a[0], -a[1], -a[2] };
}
/** Length of an axis-aligned vector. */
int64_t
Length(const Vec & a)
{
  return std::llabs(a[0] + a[1] + a[2]);
}
Vec
Unit(const Vec & a)
{
  return { (a[0] > 0) - (a[0] < 0), (a[1] > 0) - (a[1] < 0), (a[2] > 0) - (a[2] < 0) };
}
/** Half of a vector, rounded towards −∞ per component (the recursion's floor division). */
Vec
Half(const Vec & a)
{
  Vec h;
  for (int i = 0; i < 3; ++i)
    h[i] = a[i] >= 0 ? a[i] / 2 : -((-a[i] + 1) / 2);
  return h;
}

/** Emits the pixels of a grid as the curve visits them. */
class Curve
{
public:
  Curve(const std::array<int64_t, 3> & n, std::vector<size_t> & out)
    : m_N(n)
    , m_Out(out)
  {}

  /** The 2D recursion over the rectangle spanned by a (major) and b from corner p; ends at p + a − unit(a). */
  void
  Plane(Vec p, const Vec & a, const Vec & b)
  {
    const int64_t w = Length(a), h = Length(b);
    const Vec     da = Unit(a), db = Unit(b);
    if (h == 1 || w == 1)
    {
      const Vec     step = h == 1 ? da : db;
      const int64_t count = h == 1 ? w : h;
      for (int64_t i = 0; i < count; ++i, p = p + step)
        Emit(p);
      return;
    }
    Vec a2 = Half(a), b2 = Half(b);
    if (2 * w > 3 * h)
    {
      if (Length(a2) % 2 && w > 2)
        a2 = a2 + da; // split at an even length
      Plane(p, a2, b);
      Plane(p + a2, a - a2, b);
    }
    else
    {
      if (Length(b2) % 2 && h > 2)
        b2 = b2 + db;
      Plane(p, b2, a2);
      Plane(p + b2, a, b - b2);
      Plane(p + (a - da) + (b2 - db), -b2, -(a - a2));
    }
  }

  /** The 3D recursion over the block spanned by a (major), b, c from corner p; unit steps when all extents are even. */
  void
  Block(const Vec & p, const Vec & a, const Vec & b, const Vec & c)
  {
    const int64_t w = Length(a), h = Length(b), d = Length(c);
    if ((h == 1 && d == 1) || (w == 1 && d == 1) || (w == 1 && h == 1))
    {
      Plane(p, w > 1 ? a : h > 1 ? b : c, Unit(w > 1 ? b : a));
      return;
    }
    const Vec da = Unit(a), db = Unit(b), dc = Unit(c);
    Vec       a2 = Half(a), b2 = Half(b), c2 = Half(c);
    if (Length(a2) % 2 && w > 2)
      a2 = a2 + da;
    if (Length(b2) % 2 && h > 2)
      b2 = b2 + db;
    if (Length(c2) % 2 && d > 2)
      c2 = c2 + dc;
    if (2 * w > 3 * h && 2 * w > 3 * d)
    {
      Block(p, a2, b, c);
      Block(p + a2, a - a2, b, c);
    }
    else if (3 * h > 4 * d)
    {
      Block(p, b2, c, a2);
      Block(p + b2, a, b - b2, c);
      Block(p + (a - da) + (b2 - db), -b2, c, -(a - a2));
    }
    else if (3 * d > 4 * h)
    {
      Block(p, c2, a2, b);
      Block(p + c2, a, b, c - c2);
      Block(p + (a - da) + (c2 - dc), -c2, -(a - a2), b);
    }
    else
    {
      Block(p, b2, c2, a2);
      Block(p + b2, c, a2, b - b2);
      Block(p + (b2 - db) + (c - dc), a, -b2, -(c - c2));
      Block(p + (a - da) + b2 + (c - dc), -c, -(a - a2), b - b2);
      Block(p + (a - da) + (b2 - db), -b2, c2, -(a - a2));
    }
  }

  /** A rectangle of sides ≥ 2 from corner p, with unit steps: along the longer side unless it is odd and the other
   * even (parity then forbids ending at the adjacent corner). Returns the side it ran along; it ends at
   * p + major − unit(major). */
  Vec
  Rectangle(const Vec & p, const Vec & u, const Vec & v)
  {
    bool alongU = Length(u) >= Length(v);
    if ((alongU ? Length(u) : Length(v)) % 2 == 1 && (alongU ? Length(v) : Length(u)) % 2 == 0)
      alongU = !alongU;
    Plane(p, alongU ? u : v, alongU ? v : u);
    return alongU ? u : v;
  }

  /** Any box from corner p spanned by a, b, c: odd axes peeled off as layers, then the even block. */
  void
  Box(const Vec & p, const Vec & a, const Vec & b, const Vec & c)
  {
    std::array<Vec, 3> axes{ a, b, c };
    int                flat = -1, odd = -1;
    for (int i = 0; i < 3; ++i)
    {
      if (Length(axes[i]) == 1)
        flat = i;
      else if (Length(axes[i]) % 2 && (odd < 0 || Length(axes[i]) > Length(axes[odd])))
        odd = i; // peel across the longest odd axis: the smallest layer
    }
    if (flat >= 0)
    {
      Rectangle(p, axes[(flat + 1) % 3], axes[(flat + 2) % 3]);
      return;
    }
    if (odd < 0)
    {
      // Major axis first: the longest.
      std::array<int, 3> order{ 0, 1, 2 };
      for (int i = 0; i < 3; ++i)
        for (int j = i + 1; j < 3; ++j)
          if (Length(axes[order[j]]) > Length(axes[order[i]]))
            std::swap(order[i], order[j]);
      Block(p, axes[order[0]], axes[order[1]], axes[order[2]]);
      return;
    }
    const Vec & u = axes[(odd + 1) % 3];
    const Vec & v = axes[(odd + 2) % 3];
    const Vec   major = Rectangle(p, u, v);
    const Vec & minor = major == u ? v : u;
    // The rest of the box starts beside the layer's end, running back along the layer's major side.
    const Vec step = Unit(axes[odd]);
    Box(p + major - Unit(major) + step, -major, minor, axes[odd] - step);
  }

private:
  void
  Emit(const Vec & p)
  {
    m_Out.push_back(static_cast<size_t>(p[0] + m_N[0] * (p[1] + m_N[1] * p[2])));
  }

  std::array<int64_t, 3> m_N;
  std::vector<size_t> &  m_Out;
};
} // namespace

std::vector<size_t>
HilbertPeanoOrder(const std::vector<size_t> & size)
{
  if (size.empty() || size.size() > 3)
  {
    throw Error("Hilbert-Peano curve", "takes 1 to 3 axes, not " + std::to_string(size.size()));
  }
  std::array<int64_t, 3> n{ 1, 1, 1 };
  size_t                 total = 1;
  for (size_t i = 0; i < size.size(); ++i)
  {
    n[i] = static_cast<int64_t>(size[i]);
    total *= size[i];
  }
  if (total == 0)
  {
    throw Error("Hilbert-Peano curve", "the grid is empty");
  }
  std::vector<size_t> order;
  order.reserve(total);
  Curve curve(n, order);
  curve.Box({ 0, 0, 0 }, { n[0], 0, 0 }, { 0, n[1], 0 }, { 0, 0, n[2] });
  return order;
}
} // namespace tessera
