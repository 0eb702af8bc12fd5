#ifndef tesseraAtlasBuilder_h
#define tesseraAtlasBuilder_h

#include <functional>
#include <string>
#include <vector>

#include "tesseraAtlasDescription.h"
#include "tesseraImageRegistration.h"
#include "tesseraImageTypes.h"

namespace tessera
{
struct AtlasBuildSettings
{
  unsigned int         iterations = 3;  ///< groupwise rounds: register all, average, update the shape
  double               shapeStep = 0.5; ///< fraction of the mean displacement removed per round (ANTs: gradient step)
  RegistrationSettings registration;    ///< each subject onto the current template (the first round: linear stages only)
};

/** An unbiased template from labelled subjects by iterative groupwise registration and averaging
 * (Joshi et al., NeuroImage 23, 2004; Avants et al., NeuroImage 49, 2010, as ANTs'
 * buildtemplateparallel / antsMultivariateTemplateConstruction):
 * 1. the first subject's grid is the template grid; intensities are scaled to mean 1000 over each
 *    subject's non-zero voxels;
 * 2. each round registers every subject onto the current template (round 1: the linear stages of
 *    the settings only, onto the first subject), warps it, and averages; between rounds the
 *    template is resampled through minus shapeStep times the mean of the subjects' displacement
 *    fields (x -> x - step * mean_i (T_i(x) - x)), so that it drifts to the population's centre;
 * 3. the subjects' labels are warped with the last round's transforms (label interpolation) and
 *    counted: per-label probability maps (ProbabilityImage, one component per label).
 * 2D and 3D alike; memory: the template, one displacement field and the label counts. */
template <unsigned int D>
class AtlasBuilder
{
public:
  using Observer = std::function<void(const std::string & step, double fraction)>;

  void SetSubjects(std::vector<AtlasMember> subjects) { m_Subjects = std::move(subjects); }
  void SetSettings(const AtlasBuildSettings & s) { m_Settings = s; }
  void SetObserver(Observer observer) { m_Observer = std::move(observer); }
  /** Keep per-label probability maps (4 bytes per voxel and label). */
  void SetComputeProbabilities(bool on) { m_ComputeProbabilities = on; }
  /** \throws Error naming a subject file (CheckAtlases rules), or "atlases" for fewer than 2. */
  void Update();

  typename ScalarImage<D>::Pointer      GetTemplate() const { return m_Template; }
  typename ProbabilityImage<D>::Pointer GetProbabilities() const { return m_Probabilities; }
  /** RMS over the template's non-zero voxels of the subjects' mean displacement (mm), per round:
   * how far the template sits from the population's centre (0 = unbiased). */
  const std::vector<double> & GetMeanDisplacement() const { return m_MeanDisplacement; }

private:
  std::vector<AtlasMember>              m_Subjects;
  AtlasBuildSettings                    m_Settings;
  Observer                              m_Observer;
  bool                                  m_ComputeProbabilities = false;
  typename ScalarImage<D>::Pointer      m_Template;
  typename ProbabilityImage<D>::Pointer m_Probabilities;
  std::vector<double>                   m_MeanDisplacement;
};
} // namespace tessera

#endif
