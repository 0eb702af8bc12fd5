#include "tesseraFigureFiles.h"

#include "tesseraError.h"
#include "tesseraModuleLoader.h"

namespace tessera
{
namespace
{
/** The module that draws; its entry points are the extern "C" functions at the end of
 * tesseraOverlay.cxx and tesseraPlot.cxx. */
const std::string FiguresModule = "TesseraFigures";
} // namespace

std::vector<Bar>
ClassBars(const std::vector<LabelPixel> & labels, const std::vector<double> & values, const LabelTable & table)
{
  if (labels.size() != values.size())
  {
    throw Error("bar chart", std::to_string(labels.size()) + " classes but " + std::to_string(values.size()) + " values");
  }
  std::vector<Bar> bars;
  for (size_t i = 0; i < labels.size(); ++i)
  {
    bars.push_back({ table.Name(labels[i]), values[i], table.Color(labels[i]) });
  }
  return bars;
}

template <unsigned int D>
void
WriteOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
             const std::string & path, const OverlayOptions & options)
{
  ModuleFunction<void(const VectorImage<D> *, const LabelImage<D> *, const LabelTable &, const std::string &,
                      const OverlayOptions &)>(FiguresModule, "tesseraWriteOverlay" + std::to_string(D))(
    image, labels, table, path, options);
}

void
WriteBarChart(const std::vector<Bar> & bars, const ChartText & text, BarDirection direction, const std::string & path)
{
  ModuleFunction<void(const std::vector<Bar> &, const ChartText &, BarDirection, const std::string &)>(
    FiguresModule, "tesseraWriteBarChart")(bars, text, direction, path);
}

void
WriteConfusionMatrix(const std::vector<std::string> & names, const std::vector<std::vector<std::int64_t>> & counts,
                     const ChartText & text, const std::string & path)
{
  ModuleFunction<void(const std::vector<std::string> &, const std::vector<std::vector<std::int64_t>> &,
                      const ChartText &, const std::string &)>(FiguresModule, "tesseraWriteConfusionMatrix")(
    names, counts, text, path);
}

template void WriteOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &, const std::string &,
                              const OverlayOptions &);
template void WriteOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &, const std::string &,
                              const OverlayOptions &);
} // namespace tessera
