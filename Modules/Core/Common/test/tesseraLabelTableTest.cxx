#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraLabelTable.h"

using namespace tessera;

namespace
{
std::string
WriteJson(const std::string & name, const std::string & text)
{
  const auto path = std::filesystem::temp_directory_path() / ("tessera-table-" + name + ".json");
  std::ofstream(path) << text;
  return path.string();
}
} // namespace

TEST(LabelTable, LoadsNamesColoursAndIgnoreFlags)
{
  const auto path = WriteJson("ok", R"({"labels": [
      {"id": 0, "name": "Background", "ignore": true},
      {"id": 2, "name": "GM", "color": [10, 20, 30]},
      {"id": 11, "name": "Void"}]})");
  const auto table = LabelTable::Load(path);
  EXPECT_EQ(table.Name(2), "GM");
  EXPECT_EQ(table.Name(7), "7");
  EXPECT_TRUE(table.IsIgnored(0));
  EXPECT_FALSE(table.IsIgnored(2));
  EXPECT_EQ(table.Color(2), (std::array<uint8_t, 3>{ 10, 20, 30 }));
  EXPECT_EQ(table.Color(11), DefaultLabelColor(11));
  // Round trip through JSON keeps everything.
  const auto again = LabelTable::Load(WriteJson("again", table.ToJson()));
  EXPECT_EQ(again.Entries().size(), 3u);
  EXPECT_EQ(again.Color(2), table.Color(2));
  EXPECT_TRUE(again.IsIgnored(0));
}

TEST(LabelTable, RejectsMalformedTablesNamingTheProblem)
{
  const std::pair<std::string, std::string> cases[] = {
    { "notjson", "{labels: [" },
    { "nolabels", R"({"classes": []})" },
    { "empty", R"({"labels": []})" },
    { "noname", R"({"labels": [{"id": 1}]})" },
    { "badid", R"({"labels": [{"id": 70000, "name": "x"}]})" },
    { "dup", R"({"labels": [{"id": 1, "name": "x"}, {"id": 1, "name": "y"}]})" },
    { "badcolor", R"({"labels": [{"id": 1, "name": "x", "color": [1, 2, 300]}]})" },
    { "unknownkey", R"({"labels": [{"id": 1, "name": "x", "colour": [1, 2, 3]}]})" },
  };
  for (const auto & [name, text] : cases)
  {
    const auto path = WriteJson(name, text);
    try
    {
      LabelTable::Load(path);
      ADD_FAILURE() << name << " was accepted";
    }
    catch (const Error & e)
    {
      EXPECT_EQ(e.Subject(), path) << name;
    }
  }
  EXPECT_THROW(LabelTable::Load("/nonexistent/table.json"), Error);
}

TEST(LabelTable, DefaultColoursAreDistinct)
{
  for (LabelPixel a = 1; a < 40; ++a)
  {
    for (LabelPixel b = a + 1; b < 40; ++b)
    {
      EXPECT_NE(DefaultLabelColor(a), DefaultLabelColor(b)) << a << " " << b;
    }
  }
}
