#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraParameter.h"

using namespace tessera;

namespace
{
std::vector<ParameterDescription>
Descriptions()
{
  return {
    RealParameter("smoothness", "0.5", "nats", "Potts weight").AtLeast(0).AtMost(1e6),
    IntegerParameter("classes", "3", "count", "Classes").AtLeast(2).AtMost(1000),
    ChoiceParameter("method", "icm", { "icm", "alpha-expansion" }, "Optimiser"),
    BooleanParameter("soft", "Soft memberships"),
    ListParameter("lower", ParameterType::RealList, "intensity", "Bounds").WhenAbsent("none"),
    RealParameter("overlap", "0.5", "fraction", "Overlap").AtLeast(0).Below(1),
  };
}

/** The Error a call throws: its subject and problem. */
template <typename F>
std::pair<std::string, std::string>
Thrown(F && f)
{
  try
  {
    f();
  }
  catch (const Error & e)
  {
    return { e.Subject(), e.Problem() };
  }
  return { "", "" };
}
} // namespace

TEST(Parameter, DefaultsAndGivenValuesAreTyped)
{
  const auto v = ParameterValues::FromText(Descriptions(), { { "classes", { "4" } }, { "lower", { "1", "2.5" } } });
  EXPECT_EQ(v.Real("smoothness"), 0.5);
  EXPECT_FALSE(v.Given("smoothness"));
  EXPECT_EQ(v.Integer("classes"), 4);
  EXPECT_TRUE(v.Given("classes"));
  EXPECT_EQ(v.Text("method"), "icm");
  EXPECT_FALSE(v.Boolean("soft"));
  EXPECT_EQ(v.RealList("lower"), (std::vector<double>{ 1.0, 2.5 }));
  EXPECT_EQ(v.ToJson().dump(), R"({"smoothness":0.5,"classes":4,"method":"icm","soft":false,"lower":[1.0,2.5],"overlap":0.5})");
}

TEST(Parameter, OutOfRangeAndMalformedValuesNameTheParameter)
{
  const auto d = Descriptions();
  auto       check = [&](const std::string & name, const std::string & text, const std::string & problem) {
    const auto [subject, message] = Thrown([&] { ParameterValues::FromText(d, { { name, { text } } }); });
    EXPECT_EQ(subject, name) << text;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
  };
  check("smoothness", "-1", "must be in [0, 1e+06], got -1");
  check("smoothness", "1e308", "must be in [0, 1e+06]");
  check("smoothness", "nan", "not a finite number");
  check("smoothness", "0.5x", "is not a number");
  check("classes", "1", "must be in [2, 1000], got 1");
  check("classes", "2.5", "is not an integer");
  check("method", "graph-cut", "is not one of icm, alpha-expansion");
  check("overlap", "1", "must be in [0, 1), got 1");
  check("soft", "maybe", "is not true or false");
  EXPECT_EQ(Thrown([&] { ParameterValues::FromText(d, { { "smoothnes", { "1" } } }); }).first, "smoothnes");
}

TEST(Parameter, JsonValuesAreCheckedLikeText)
{
  const auto d = Descriptions();
  const auto v = ParameterValues::FromJson(d, nlohmann::json::parse(R"({"smoothness": 2, "soft": true, "lower": [3]})"));
  EXPECT_EQ(v.Real("smoothness"), 2.0);
  EXPECT_TRUE(v.Boolean("soft"));
  EXPECT_EQ(v.RealList("lower"), std::vector<double>{ 3.0 });
  EXPECT_EQ(Thrown([&] { ParameterValues::FromJson(d, nlohmann::json::parse(R"({"classes": "three"})")); }).first,
            "classes");
  EXPECT_EQ(Thrown([&] { ParameterValues::FromJson(d, nlohmann::json::parse(R"({"colour": 1})")); }).first, "colour");
}

TEST(Parameter, HelpGivesUnitDefaultAndRange)
{
  const auto d = Descriptions();
  EXPECT_EQ(d[0].HelpText(), "Potts weight (nats; default 0.5; in [0, 1e+06])");
  EXPECT_EQ(d[5].RangeText(), "[0, 1)");
  EXPECT_EQ(d[2].RangeText(), "{icm, alpha-expansion}");
  EXPECT_EQ(FormatNumber(1.7976931348623157e308), "1.79769e+308");
}
