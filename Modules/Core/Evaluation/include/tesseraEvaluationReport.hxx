#ifndef tesseraEvaluationReport_hxx
#define tesseraEvaluationReport_hxx

namespace tessera
{
template <unsigned int D>
EvaluationReport
EvaluationReport::Compute(const LabelImage<D> *     reference,
                          const LabelImage<D> *     segmentation,
                          const EvaluationOptions & options)
{
  if (options.surfaceDistances && !(options.percentile >= 0.0 && options.percentile <= 100.0))
  {
    throw Error("percentile", std::to_string(options.percentile) + " is outside [0, 100]");
  }
  const ConfusionMatrix matrix = ConfusionMatrix::Compute<D>(
    reference, segmentation, options.ignoreLabel, options.referenceName, options.segmentationName);
  EvaluationReport report = FromConfusionMatrix(matrix, options);
  if (!options.surfaceDistances)
  {
    return report;
  }
  report.hasSurfaceDistances = true;
  for (ClassScores & row : report.classes)
  {
    const SurfaceDistance distance = SurfaceDistance::Compute<D>(reference, segmentation, row.label,
                                                                 options.ignoreLabel, options.percentile,
                                                                 options.referenceName, options.segmentationName);
    row.hausdorffPercentile = distance.hausdorffPercentile;
    row.hausdorff = distance.hausdorff;
    row.averageSymmetric = distance.averageSymmetric;
  }
  report.UpdateMeans();
  return report;
}
} // namespace tessera

#endif
