#ifndef tesseraLabelFusion_h
#define tesseraLabelFusion_h

#include <functional>
#include <string>
#include <vector>

#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

/** \file Label fusion: several atlases' labels, already resampled onto the target's grid (with their
 * intensities for the weighted methods), combined into one label image and, on request, per-class
 * probabilities (ProbabilityImage, one component per label of the atlases, ascending) or just the
 * chosen label's probability (its confidence).
 *
 * Every method but STAPLE (whose EM learns from them) decides a voxel at once when all atlases
 * give it the same label; outside the mask (when one is set) the output is 0 and the
 * probabilities all 0 (unlabelled). Ties between labels go to the smallest label. */
namespace tessera
{
enum class FusionMethod
{
  Majority,         ///< one vote per atlas (ITK LabelVotingImageFilter's rule, ties to the smallest label)
  GlobalWeighted,   ///< one weight per atlas, MSD^-gain over the mask (Artaechevarria et al., IEEE TMI 28, 2009)
  LocalWeighted,    ///< a weight per atlas and voxel, patch MSD^-gain (Artaechevarria 2009; Isgum et al., IEEE TMI 28, 2009)
  Staple,           ///< ITK MultiLabelSTAPLEImageFilter in double (Warfield et al., IEEE TMI 23, 2004; Rohlfing et al., 2004)
  JointLabelFusion  ///< joint label fusion with local search (Wang et al., IEEE PAMI 35, 2013)
};

/** "majority", "weighted", "local", "staple", "jlf". \throws Error("fusion", ...). */
FusionMethod ParseFusionMethod(const std::string & name);
std::string  FusionMethodName(FusionMethod method);
/** True for the methods that compare intensities (they need the target and atlas images). */
bool NeedsIntensities(FusionMethod method);

struct FusionSettings
{
  FusionMethod method = FusionMethod::JointLabelFusion;
  unsigned int patchRadius = 2;  ///< voxels: patch (2r+1 per axis) compared by local weighting and JLF
  unsigned int searchRadius = 1; ///< voxels: JLF looks for the best-matching atlas patch this far
  double       alpha = 0.1;      ///< JLF: ridge added to the diagonal of M
  double       beta = 2;         ///< JLF: M(i,j) = (sum_patch |d_i| |d_j| / (n - 1))^beta
  double       gain = 2;         ///< weighted votes: weight = MSD^-gain
  unsigned int stapleIterations = 50; ///< STAPLE: EM iterations at most
};

/** Fuses atlases on the target's grid. Usage: SetSettings, SetTargetImage (weighted methods),
 * SetMask (optional), AddAtlas for each atlas, Update, then GetLabels / GetProbabilities.
 * 2D and 3D alike. The result does not depend on the number of threads. */
template <unsigned int D>
class LabelFusion
{
public:
  /** Progress: fraction of the voxels done, in [0, 1]. */
  using Observer = std::function<void(double fraction)>;

  void SetSettings(const FusionSettings & settings) { m_Settings = settings; }
  /** Target intensities: needed by the weighted methods and JLF, ignored by the others. */
  void SetTargetImage(const ScalarImage<D> * image) { m_Target = image; }
  /** Only voxels inside (non-zero) are fused; null = every voxel. */
  void SetMask(const MaskImage<D> * mask) { m_Mask = mask; }
  /** Labels (and, for the weighted methods and JLF, intensities) of one atlas on the target's grid.
   * \throws Error("atlas N", ...) when a grid differs from the first atlas's (or the target's). */
  void AddAtlas(const LabelImage<D> * labels, const ScalarImage<D> * image = nullptr);
  void SetObserver(Observer observer) { m_Observer = std::move(observer); }
  /** Also keep per-class probabilities (one float per label and voxel: mind the memory). */
  void SetComputeProbabilities(bool on) { m_ComputeProbabilities = on; }
  /** Also keep the chosen label's probability at each voxel (its confidence: 1 where the atlases
   * agree, 0 outside the mask; 4 bytes per voxel). Corrective learning can learn from it. */
  void SetComputeConfidence(bool on) { m_ComputeConfidence = on; }
  /** \throws Error when fewer than one atlas, or intensities are missing for the method. */
  void Update();

  typename LabelImage<D>::Pointer GetLabels() const { return m_Labels; }
  /** Components in the order of GetLabelSet(); null unless SetComputeProbabilities(true). */
  typename ProbabilityImage<D>::Pointer GetProbabilities() const { return m_Probabilities; }
  /** Null unless SetComputeConfidence(true). */
  typename ScalarImage<D>::Pointer GetConfidence() const { return m_Confidence; }
  /** Every label any atlas gives, ascending. */
  const std::vector<LabelPixel> & GetLabelSet() const { return m_LabelSet; }
  /** The global weights (GlobalWeighted), normalised to sum 1; empty for the other methods. */
  const std::vector<double> & GetAtlasWeights() const { return m_AtlasWeights; }
  /** Voxels (inside the mask) where the atlases agreed, and those fused. */
  size_t GetConsensusVoxels() const { return m_ConsensusVoxels; }
  size_t GetFusedVoxels() const { return m_FusedVoxels; }

private:
  void RunStaple(const std::vector<size_t> & undecided);
  /** JLF's patch-wise vote: jointWeights and jointMatches hold, per undecided voxel, each atlas's
   * weight and matched voxel; index maps labels to their place in m_LabelSet. */
  void VotePatches(const std::vector<size_t> & undecided, const std::vector<float> & jointWeights,
                   const std::vector<unsigned int> & jointMatches, const std::vector<unsigned int> & index,
                   LabelPixel * out, float * probabilities, float * confidence);

  FusionSettings                              m_Settings;
  const ScalarImage<D> *                      m_Target = nullptr;
  const MaskImage<D> *                        m_Mask = nullptr;
  std::vector<typename LabelImage<D>::ConstPointer>  m_AtlasLabels;
  std::vector<typename ScalarImage<D>::ConstPointer> m_AtlasImages;
  Observer                                    m_Observer;
  bool                                        m_ComputeProbabilities = false;
  bool                                        m_ComputeConfidence = false;
  typename LabelImage<D>::Pointer             m_Labels;
  typename ProbabilityImage<D>::Pointer       m_Probabilities;
  typename ScalarImage<D>::Pointer            m_Confidence;
  std::vector<LabelPixel>                     m_LabelSet;
  std::vector<double>                         m_AtlasWeights;
  size_t                                      m_ConsensusVoxels = 0;
  size_t                                      m_FusedVoxels = 0;
};

/** Joint label fusion weights for one voxel (Wang et al. 2013, eq. 7 with ANTs' conventions):
 * M(i,j) = (sum_k |d_i(k)| |d_j(k)| / (n − 1))^beta over the n patch voxels, w = (M + alpha I)^-1 1,
 * negative weights set to 0, then normalised to sum 1. `differences` is [atlases][n].
 * Exposed for the closed-form test. */
std::vector<double> JointFusionWeights(const std::vector<std::vector<double>> & differences, double alpha, double beta);
} // namespace tessera

#endif
