#ifndef tesseraPottsMRFImageFilter_h
#define tesseraPottsMRFImageFilter_h

#include <vector>

#include "itkImageToImageFilter.h"
#include "itkOffset.h"
#include "tesseraImageTypes.h"
#include "tesseraPottsProblem.h"

namespace tessera
{
/** \class PottsMRFImageFilter
 * \brief Labels an image by minimising a Potts Markov random field energy over per-class
 * probabilities (maximum a posteriori labelling).
 *
 * Input: ProbabilityImage<D> (itk::VectorImage<float, D>, C components; component c is the
 * probability of the c-th label of the label table it carries, see tesseraProbabilityImage.h).
 * Output: LabelImage<D> of those label values, carrying the same table, on the input's grid
 * (same size, spacing, origin, direction). With a mask, pixels outside get label 0 and take no
 * part in the energy. The energy minimised is
 *
 *   E(l) = sum_p -log(max(P_p(l_p), epsilon)) + beta * sum_{p~q} w_pq [l_p != l_q],
 *
 * over the pixels p inside the mask and the neighbour pairs p~q with both inside. The
 * neighbourhood is the face neighbours (4 in 2D, 6 in 3D) or, FullyConnected, all 8 / 26.
 * Spacing weights w_pq = (smallest spacing) / (distance between the pixel centres in mm), so on
 * an isotropic grid face neighbours weigh 1 and 2D diagonals 1/sqrt(2), and on an anisotropic grid
 * pairs along the long axis weigh less. beta (Smoothness) is unitless: the cost of one label change
 * between face neighbours on the finest axis, in the units of -log probability (nats).
 *
 * Only candidate labels are used: components whose probability is > 0 at some pixel inside the
 * mask. Methods:
 * - ICM, iterated conditional modes (Besag 1986): raster sweeps; fast, finds a local minimum
 *   that depends on the start.
 * - AlphaExpansion (Boykov, Veksler, Zabih, "Fast approximate energy minimization via graph
 *   cuts", IEEE PAMI 23(11), 2001), each move an s-t minimum cut (Kolmogorov & Zabih, "What
 *   energy functions can be minimized via graph cuts?", IEEE PAMI 26(2), 2004) computed by GraphCut,
 *   our Boykov-Kolmogorov max-flow (IEEE PAMI 26(9), 2004), on the nodes whose move is not known
 *   beforehand (PottsProblem::SolveAlphaExpansion). Within a factor 2 of the global optimum for
 *   Potts, and exact for two labels.
 *
 * The start is the argmax of the probabilities, or SetInitialLabels(). After Update(),
 * GetInitialEnergy(), GetEnergy() and GetIterations() report the run. Progress is reported through
 * ITK ProgressEvents. The whole image is processed at once (no streaming).
 *
 * \throws Error when the mask or the initial labels do not lie on the probabilities' grid, when
 * the initial labels name a label without a component, or when no label is a candidate.
 * \sa GaussianMixtureImageFilter, KMeansImageFilter, KNNImageFilter, CNNImageFilter */
template <unsigned int VDimension>
class PottsMRFImageFilter
  : public itk::ImageToImageFilter<ProbabilityImage<VDimension>, LabelImage<VDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PottsMRFImageFilter);

  static constexpr unsigned int ImageDimension = VDimension;
  using Self = PottsMRFImageFilter;
  using Superclass = itk::ImageToImageFilter<ProbabilityImage<VDimension>, LabelImage<VDimension>>;
  using Pointer = itk::SmartPointer<Self>;
  using ConstPointer = itk::SmartPointer<const Self>;
  using ProbabilityImageType = ProbabilityImage<VDimension>;
  using LabelImageType = LabelImage<VDimension>;
  using MaskImageType = MaskImage<VDimension>;
  using MethodType = PottsMRFMethod;

  itkNewMacro(Self);
  itkTypeMacro(PottsMRFImageFilter, ImageToImageFilter);

  /** beta >= 0, unitless; default 0.5. 0 returns the argmax (or the initial labels). */
  itkSetMacro(Smoothness, double);
  itkGetConstMacro(Smoothness, double);
  /** 8 (2D) / 26 (3D) neighbours instead of 4 / 6; default off. */
  itkSetMacro(FullyConnected, bool);
  itkGetConstMacro(FullyConnected, bool);
  itkBooleanMacro(FullyConnected);
  /** Default AlphaExpansion. */
  itkSetMacro(Method, MethodType);
  itkGetConstMacro(Method, MethodType);
  /** Most ICM sweeps or alpha-expansion cycles; default 20. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);
  /** Smallest probability in the unary term (> 0); default DefaultPottsEpsilon = 1e-6. */
  itkSetMacro(Epsilon, double);
  itkGetConstMacro(Epsilon, double);

  /** Optional mask on the probabilities' grid, non-zero = inside. */
  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);
  /** Optional start labelling on the probabilities' grid (label values of the probabilities'
   * table inside the mask); default: argmax of the probabilities. */
  itkSetInputMacro(InitialLabels, LabelImageType);
  itkGetInputMacro(InitialLabels, LabelImageType);

  /** Energy of the start labelling and of the result (nats, see PottsEnergy()), and the number
   * of ICM sweeps or alpha-expansion cycles (begun) made, once Update() has run. */
  itkGetConstMacro(InitialEnergy, double);
  itkGetConstMacro(Energy, double);
  itkGetConstMacro(Iterations, unsigned int);
  /** The candidate classes (component indices) of the last run, ascending. */
  const std::vector<LabelPixel> & GetCandidateLabels() const { return m_CandidateLabels; }

protected:
  PottsMRFImageFilter();
  ~PottsMRFImageFilter() override = default;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;
  /** Checks the mask and the initial labels against the probabilities' grid (throws Error). */
  void VerifyInputInformation() ITKv5_CONST override;
  void GenerateInputRequestedRegion() override;
  void EnlargeOutputRequestedRegion(itk::DataObject * output) override;
  void GenerateData() override;

private:
  double                  m_Smoothness = 0.5;
  bool                    m_FullyConnected = false;
  MethodType              m_Method = MethodType::AlphaExpansion;
  unsigned int            m_MaximumNumberOfIterations = 20;
  double                  m_Epsilon = DefaultPottsEpsilon;
  double                  m_InitialEnergy = 0.0;
  double                  m_Energy = 0.0;
  unsigned int            m_Iterations = 0;
  std::vector<LabelPixel> m_CandidateLabels;
};

/** The Potts neighbourhood of a grid: offsets in {-1, 0, 1}^D (face neighbours only, or all
 * 3^D - 1), ordered so that offsets[K-1-k] == -offsets[k], with their spacing weights
 * w = (smallest spacing) / (physical distance in mm). */
template <unsigned int D>
struct PottsNeighbourhood
{
  std::vector<itk::Offset<D>> offsets;
  std::vector<double>         weights;
};
template <unsigned int D>
PottsNeighbourhood<D> MakePottsNeighbourhood(const itk::Vector<double, D> & spacing, bool fullyConnected);

/** Builds the PottsProblem of an image: nodes are the pixels inside the mask (all pixels when
 * mask is null), in raster order. The probabilities' buffer must hold the largest possible region;
 * the mask, when given, must lie on its grid (checked: throws Error). */
template <unsigned int D>
PottsProblem MakePottsProblem(const ProbabilityImage<D> * probabilities, const MaskImage<D> * mask, double beta,
                              bool fullyConnected, double epsilon = DefaultPottsEpsilon);

/** The Potts energy of a labelling, as PottsMRFImageFilter defines it (see there), computed
 * directly on the image grid: sum over the pixels inside the mask (all when mask is null) of
 * -log(max(P_p(l_p), epsilon)) plus beta * w_pq for each neighbour pair inside with different
 * labels. Labels outside the mask are ignored.
 * \throws Error when labels or mask do not lie on the probabilities' grid, or a label inside the
 * mask has no probability component. */
template <unsigned int D>
double PottsEnergy(const ProbabilityImage<D> * probabilities, const LabelImage<D> * labels, const MaskImage<D> * mask,
                   double beta, bool fullyConnected, double epsilon = DefaultPottsEpsilon);

extern template class PottsMRFImageFilter<2>;
extern template class PottsMRFImageFilter<3>;
extern template PottsNeighbourhood<2> MakePottsNeighbourhood<2>(const itk::Vector<double, 2> &, bool);
extern template PottsNeighbourhood<3> MakePottsNeighbourhood<3>(const itk::Vector<double, 3> &, bool);
extern template PottsProblem MakePottsProblem<2>(const ProbabilityImage<2> *, const MaskImage<2> *, double, bool,
                                                 double);
extern template PottsProblem MakePottsProblem<3>(const ProbabilityImage<3> *, const MaskImage<3> *, double, bool,
                                                 double);
extern template double PottsEnergy<2>(const ProbabilityImage<2> *, const LabelImage<2> *, const MaskImage<2> *,
                                      double, bool, double);
extern template double PottsEnergy<3>(const ProbabilityImage<3> *, const LabelImage<3> *, const MaskImage<3> *,
                                      double, bool, double);
} // namespace tessera

#ifndef ITK_MANUAL_INSTANTIATION
#  include "tesseraPottsMRFImageFilter.hxx"
#endif

#endif
