#include "tesseraAtlasMirror.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tesseraAtlasDescription.h"

namespace tessera
{
namespace
{
LabelTable
Table(const std::vector<std::pair<LabelPixel, std::string>> & names)
{
  LabelTable table;
  for (const auto & [label, name] : names)
  {
    LabelTable::Entry e;
    e.name = name;
    table.Add(label, e);
  }
  return table;
}

TEST(AtlasMirror, PairsLeftAndRightLabelsByName)
{
  const auto pairs = LeftRightLabelPairs(Table({ { 1, "Left Hippocampus" },
                                                 { 2, "Right Hippocampus" },
                                                 { 3, "Brain Stem" },
                                                 { 4, "left-Caudate" },
                                                 { 5, "Right-Caudate" },
                                                 { 6, "Amygdala_L" },
                                                 { 7, "Amygdala_R" },
                                                 { 8, "Putamen left" },
                                                 { 9, "Putamen right" },
                                                 { 10, "Left Insula" },
                                                 { 11, "Leftover" },
                                                 { 12, "Rightmost" } }));
  const std::map<LabelPixel, LabelPixel> expected{ { 1, 2 }, { 2, 1 }, { 4, 5 }, { 5, 4 }, { 6, 7 },
                                                   { 7, 6 }, { 8, 9 }, { 9, 8 } };
  EXPECT_EQ(pairs, expected);
}

TEST(AtlasMirror, EveryScoredMiccaiLabelFindsItsOtherSide)
{
  const std::string dir = std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/";
  if (!std::filesystem::exists(dir + "labels.csv"))
    GTEST_SKIP() << "MICCAI 2012 data not found";
  const auto pairs = LeftRightLabelPairs(LoadLabelTableFile(dir + "labels.csv"));
  // scored-labels.csv: label,name,side, the 63 structures as a left row then its right row.
  std::ifstream scored(dir + "scored-labels.csv");
  std::string   line;
  std::getline(scored, line);
  std::vector<std::pair<LabelPixel, std::string>> rows;
  while (std::getline(scored, line))
  {
    const auto first = line.find(','), last = line.rfind(',');
    rows.emplace_back(static_cast<LabelPixel>(std::stoi(line.substr(0, first))), line.substr(last + 1));
  }
  ASSERT_EQ(rows.size(), 126u);
  for (size_t i = 0; i < rows.size(); i += 2)
  {
    ASSERT_EQ(rows[i].second, "left");
    ASSERT_EQ(pairs.count(rows[i].first), 1u) << rows[i].first;
    EXPECT_EQ(pairs.at(rows[i].first), rows[i + 1].first);
    EXPECT_EQ(pairs.at(rows[i + 1].first), rows[i].first);
  }
  EXPECT_EQ(pairs.size(), 148u); // 74 pairs: the scored 63 and 11 more (e.g. the lateral ventricles' parts)
}

TEST(AtlasMirror, ReversesTheLeftRightAxisAndSwapsTheSides)
{
  // 3 x 2 x 2 labels; the grid's index axis 1 lies along physical x (left-right), axis 0 along y.
  auto labels = LabelImage<3>::New();
  labels->SetRegions(LabelImage<3>::SizeType{ { 3, 2, 2 } });
  labels->Allocate();
  LabelImage<3>::DirectionType direction;
  direction.Fill(0);
  direction[1][0] = 1;
  direction[0][1] = -1;
  direction[2][2] = 1;
  labels->SetDirection(direction);
  labels->SetSpacing(itk::Vector<double, 3>(std::array<double, 3>{ { 1, 2, 3 } }.data()));
  labels->SetOrigin(itk::Point<double, 3>(std::array<double, 3>{ { 5, 6, 7 } }.data()));
  // Label 1 is left, 2 right, 3 unpaired; voxels along axis 0 first.
  const std::vector<LabelPixel> in{ 1, 1, 3, 2, 0, 3, /* z 1: */ 1, 0, 0, 2, 2, 3 };
  std::copy(in.begin(), in.end(), labels->GetBufferPointer());
  ASSERT_EQ(LeftRightAxis<3>(labels.GetPointer()), 1u);
  const std::map<LabelPixel, LabelPixel> pairs{ { 1, 2 }, { 2, 1 } };
  const auto mirrored = MirrorLabels<3>(labels, 1, pairs);
  // Rows along axis 0 trade places (y index 0 <-> 1), then 1 <-> 2.
  const std::vector<LabelPixel> expected{ 1, 0, 3, 2, 2, 3, /* z 1: */ 1, 1, 3, 2, 0, 0 };
  EXPECT_EQ(std::vector<LabelPixel>(mirrored->GetBufferPointer(), mirrored->GetBufferPointer() + 12), expected);
  EXPECT_EQ(mirrored->GetDirection(), labels->GetDirection());
  EXPECT_EQ(mirrored->GetSpacing(), labels->GetSpacing());
  EXPECT_EQ(mirrored->GetOrigin(), labels->GetOrigin());
  // Twice is the identity; a multi-component image keeps each voxel's components together.
  const auto twice = MirrorLabels<3>(mirrored, 1, pairs);
  EXPECT_TRUE(std::equal(in.begin(), in.end(), twice->GetBufferPointer()));

  auto rgb = VectorImage<2>::New();
  rgb->SetRegions(VectorImage<2>::SizeType{ { 3, 1 } });
  rgb->SetNumberOfComponentsPerPixel(2);
  rgb->Allocate();
  const std::vector<float> values{ 1, 2, 3, 4, 5, 6 };
  std::copy(values.begin(), values.end(), rgb->GetBufferPointer());
  ASSERT_EQ(LeftRightAxis<2>(rgb.GetPointer()), 0u);
  const auto flipped = MirrorImage<VectorImage<2>>(rgb, 0);
  EXPECT_EQ(std::vector<float>(flipped->GetBufferPointer(), flipped->GetBufferPointer() + 6),
            (std::vector<float>{ 5, 6, 3, 4, 1, 2 }));
}
} // namespace
} // namespace tessera
