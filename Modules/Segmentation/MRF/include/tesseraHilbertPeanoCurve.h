#ifndef tesseraHilbertPeanoCurve_h
#define tesseraHilbertPeanoCurve_h

#include <cstddef>
#include <vector>

namespace tessera
{
/** The visiting order of a Hilbert–Peano space-filling curve over a grid of 1 to 3 dimensions of any extents: the
 * linear index (first axis fastest) of every pixel, each once, consecutive pixels face neighbours (unit steps).
 * Extents that are powers of two give the Hilbert curve (Hilbert 1891). Other extents follow the generalised Hilbert
 * ("gilbert") recursion of Červený (2018), which splits sides at even lengths so that the curve can run between
 * adjacent corners. In 3D that recursion has unit steps only on blocks of even extents, so layers one pixel thick
 * are first peeled off across odd axes (each layer a 2D curve, then the remaining block starts beside its end).
 * A 2D curve whose longer side is odd and shorter side even runs along the shorter side, which parity requires.
 * Used to scan images into hidden Markov chains (Bricq, Collet, Armspach, Medical Image Analysis 12, 2008).
 * \param size extents per axis, [D] with D in 1..3.
 * \throws Error for an empty grid or more than 3 axes. */
std::vector<size_t> HilbertPeanoOrder(const std::vector<size_t> & size);
} // namespace tessera

#endif
