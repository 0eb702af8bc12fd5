// Explicit instantiations for D = 2, 3 (declared extern in the header), so that users of the
// filter do not compile it again.
#include "tesseraPottsMRFImageFilter.h"

namespace tessera
{
template class PottsMRFImageFilter<2>;
template class PottsMRFImageFilter<3>;
template PottsNeighbourhood<2> MakePottsNeighbourhood<2>(const itk::Vector<double, 2> &, bool);
template PottsNeighbourhood<3> MakePottsNeighbourhood<3>(const itk::Vector<double, 3> &, bool);
template PottsProblem MakePottsProblem<2>(const ProbabilityImage<2> *, const MaskImage<2> *, double, bool, double);
template PottsProblem MakePottsProblem<3>(const ProbabilityImage<3> *, const MaskImage<3> *, double, bool, double);
template double PottsEnergy<2>(const ProbabilityImage<2> *, const LabelImage<2> *, const MaskImage<2> *, double,
                               bool, double);
template double PottsEnergy<3>(const ProbabilityImage<3> *, const LabelImage<3> *, const MaskImage<3> *, double,
                               bool, double);
} // namespace tessera
