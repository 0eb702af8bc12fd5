// The generic test over the stage registry: every stage and parameter is documented, and every
// range is enforced with an error naming the parameter.
#include <cmath>

#include <gtest/gtest.h>

#include "tesseraStages.h"

using namespace tessera;

namespace
{
/** The subject of the Error that parsing `text` for parameter d throws ("" if none). */
std::string
RefusedAs(const StageDescription & stage, const ParameterDescription & d, const std::string & text)
{
  try
  {
    ParameterValues::FromText(stage.parameters, { { d.name, { text } } });
  }
  catch (const Error & e)
  {
    return e.Subject();
  }
  return "";
}

std::string
Text(double v, bool integer)
{
  return integer ? std::to_string(static_cast<long long>(v)) : FormatNumber(v);
}
} // namespace

TEST(StageRegistry, HoldsEveryApplication)
{
  for (const char * name : { "argmax", "connected-components", "evaluate", "gmm", "info", "kmeans", "knn apply",
                             "knn train", "mask", "mrf", "predict", "rag-merge", "region-grow", "remap", "segment",
                             "split-merge", "superpixels", "threshold", "train", "watershed" })
  {
    EXPECT_NE(Stages().Find(name), nullptr) << name;
  }
}

TEST(StageRegistry, EveryStagePortAndParameterIsDocumented)
{
  for (const auto & [name, stage] : Stages().All())
  {
    EXPECT_FALSE(stage.summary.empty()) << name;
    EXPECT_TRUE(stage.run) << name;
    for (const auto * ports : { &stage.inputs, &stage.outputs })
    {
      for (const auto & p : *ports)
      {
        EXPECT_FALSE(p.doc.empty()) << name << " " << p.name;
        if (p.kind == PortKind::Overlay)
        {
          EXPECT_NE(stage.FindOutput(p.overlayOf), nullptr) << name << " " << p.name;
        }
      }
    }
    for (const auto & d : stage.parameters)
    {
      EXPECT_FALSE(d.doc.empty()) << name << " --" << d.name;
      if (d.IsNumeric())
      {
        EXPECT_FALSE(d.unit.empty()) << name << " --" << d.name << " has no unit";
      }
      if (d.type != ParameterType::Boolean && !d.required)
      {
        EXPECT_TRUE(!d.defaultValue.empty() || !d.whenAbsent.empty())
          << name << " --" << d.name << ": no default and no word on what happens without one";
      }
      // The default itself is valid.
      if (!d.defaultValue.empty())
      {
        EXPECT_EQ(RefusedAs(stage, d, d.defaultValue), "") << name << " --" << d.name;
      }
    }
  }
}

TEST(StageRegistry, OutOfRangeValuesAreRefusedNamingTheParameter)
{
  size_t checked = 0;
  for (const auto & [name, stage] : Stages().All())
  {
    for (const auto & d : stage.parameters)
    {
      const bool integer = d.type == ParameterType::Integer || d.type == ParameterType::IntegerList;
      if (d.IsNumeric())
      {
        // Every number has a range: nothing takes 1e308 or -1e308 silently.
        EXPECT_TRUE(std::isfinite(d.minimum) || std::isfinite(d.maximum)) << name << " --" << d.name;
        if (std::isfinite(d.minimum))
        {
          const double below = d.minimumInclusive ? d.minimum - (integer ? 1 : std::max(1e-9, std::abs(d.minimum) * 1e-3)) : d.minimum;
          EXPECT_EQ(RefusedAs(stage, d, Text(below, integer)), d.name) << name << " --" << d.name << " " << below;
          ++checked;
        }
        if (std::isfinite(d.maximum))
        {
          const double above = d.maximumInclusive ? d.maximum + (integer ? 1 : std::max(1e-9, std::abs(d.maximum) * 1e-3)) : d.maximum;
          EXPECT_EQ(RefusedAs(stage, d, Text(above, integer)), d.name) << name << " --" << d.name << " " << above;
          ++checked;
        }
        EXPECT_EQ(RefusedAs(stage, d, "nan"), d.name) << name << " --" << d.name;
      }
      if (d.type == ParameterType::Choice)
      {
        EXPECT_EQ(RefusedAs(stage, d, "no-such-choice"), d.name) << name << " --" << d.name;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(StageRegistry, OneNamePerConcept)
{
  // A parameter name means one thing with one unit across the toolkit (a few names are
  // deliberately stage-specific and say so in their doc).
  std::map<std::string, std::set<std::string>> units;
  for (const auto & [name, stage] : Stages().All())
  {
    for (const auto & d : stage.parameters)
    {
      units[d.name].insert(d.unit);
    }
  }
  for (const char * shared : { "connectivity", "iterations", "smoothness", "superpixels", "min-size" })
  {
    EXPECT_EQ(units[shared].size(), 1u) << shared;
  }
}
