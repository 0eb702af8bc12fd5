#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraTileRegionStitcher.h"

using namespace tessera;

namespace
{
using Region = itk::ImageRegion<2>;

Region
Box(itk::IndexValueType x, itk::IndexValueType y, itk::SizeValueType w, itk::SizeValueType h)
{
  Region r;
  r.SetIndex({ { x, y } });
  r.SetSize({ { w, h } });
  return r;
}

/** Labels over `read` from f(x, y) of the whole image's pixels (0: none), renumbered 1..n in the
 * order of their last pixel, as a tile's own segmentation would number them (no relation to any other tile). */
template <typename F>
LabelImage<2>::Pointer
TileLabels(const Region & read, F f)
{
  auto labels = LabelImage<2>::New();
  labels->SetRegions(read.GetSize());
  labels->Allocate();
  std::vector<int> values;
  for (auto y = read.GetIndex(1); y < read.GetIndex(1) + static_cast<long>(read.GetSize(1)); ++y)
  {
    for (auto x = read.GetIndex(0); x < read.GetIndex(0) + static_cast<long>(read.GetSize(0)); ++x)
    {
      values.push_back(f(x, y));
    }
  }
  std::map<int, LabelPixel> number{ { 0, 0 } };
  for (auto v = values.rbegin(); v != values.rend(); ++v)
  {
    number.emplace(*v, static_cast<LabelPixel>(number.size()));
  }
  std::transform(values.begin(), values.end(), labels->GetBufferPointer(), [&](int v) { return number.at(v); });
  return labels;
}

/** Runs the stitcher over `size` in tiles of `tile` with `halo`, each tile labelled by f, and gives
 * the final labels of the whole image, row by row. */
template <typename F>
std::vector<LabelPixel>
Stitched(const itk::Size<2> & size, unsigned int tile, unsigned int halo, F f, std::size_t & regions)
{
  TileRegionStitcher                   stitcher(size, halo);
  std::vector<std::uint32_t>           provisional(size[0] * size[1]);
  const Region                         whole(size);
  for (itk::SizeValueType y = 0; y < size[1]; y += tile)
  {
    for (itk::SizeValueType x = 0; x < size[0]; x += tile)
    {
      const Region keep = Box(static_cast<long>(x), static_cast<long>(y), std::min<itk::SizeValueType>(tile, size[0] - x),
                              std::min<itk::SizeValueType>(tile, size[1] - y));
      Region read = keep;
      read.PadByRadius(halo);
      read.Crop(whole);
      const auto numbers = stitcher.AddTile(TileLabels(read, f), read, keep);
      for (auto j = keep.GetIndex(1); j < keep.GetIndex(1) + static_cast<long>(keep.GetSize(1)); ++j)
      {
        for (auto i = keep.GetIndex(0); i < keep.GetIndex(0) + static_cast<long>(keep.GetSize(0)); ++i)
        {
          provisional[j * size[0] + i] = numbers->GetPixel({ { i - read.GetIndex(0), j - read.GetIndex(1) } });
        }
      }
    }
  }
  regions = stitcher.Finish();
  std::vector<LabelPixel> out(provisional.size());
  std::transform(provisional.begin(), provisional.end(), out.begin(), [&](std::uint32_t n) { return stitcher.Final(n); });
  return out;
}
} // namespace

TEST(TileRegionStitcher, TilesThatAgreeGiveTheWholeImagesRegionsNumberedInRasterOrder)
{
  // Sheared blocks (connected, crossing tile borders at every angle), 0 (no region) in one corner.
  const auto f = [](long x, long y) { return x < 6 && y < 4 ? 0 : 1 + static_cast<int>((x + y / 3) / 7 + 100 * (y / 9)); };
  const itk::Size<2> size{ { 50, 41 } };
  std::vector<LabelPixel> expected;
  std::map<int, LabelPixel> first;
  for (long y = 0; y < 41; ++y)
  {
    for (long x = 0; x < 50; ++x)
    {
      const int v = f(x, y);
      if (v && !first.count(v))
      {
        first.emplace(v, static_cast<LabelPixel>(first.size() + 1));
      }
      expected.push_back(v ? first.at(v) : 0);
    }
  }
  // Tiles larger than the halo, smaller than it, and one tile.
  for (const auto & [tile, halo] : { std::pair<unsigned, unsigned>{ 16, 5 }, { 8, 12 }, { 13, 1 }, { 64, 4 } })
  {
    std::size_t regions = 0;
    EXPECT_EQ(Stitched(size, tile, halo, f, regions), expected) << "tiles of " << tile << ", halo " << halo;
    EXPECT_EQ(regions, first.size());
  }
}

TEST(TileRegionStitcher, ARegionOneTileEndsAtTheBorderIsNotJoinedToTheOthersNextRegion)
{
  // Two tiles of 8 x 4 side by side, halo 4. The left tile ends its region 1 at the border (its halo
  // is another region); the right tile sees one region across the border. The left region must not
  // swallow the right tile's: they are joined only where both tiles see a region cross.
  const itk::Size<2> size{ { 16, 4 } };
  TileRegionStitcher stitcher(size, 4);
  const Region       leftKeep = Box(0, 0, 8, 4), leftRead = Box(0, 0, 12, 4);
  const Region       rightKeep = Box(8, 0, 8, 4), rightRead = Box(4, 0, 12, 4);
  const auto left = stitcher.AddTile(TileLabels(leftRead, [](long x, long) { return x < 8 ? 1 : 2; }), leftRead, leftKeep);
  const auto right = stitcher.AddTile(TileLabels(rightRead, [](long, long) { return 1; }), rightRead, rightKeep);
  EXPECT_EQ(stitcher.Finish(), 2u);
  EXPECT_EQ(stitcher.Final(left->GetPixel({ { 0, 0 } })), 1);
  EXPECT_EQ(stitcher.Final(right->GetPixel({ { 11, 3 } })), 2);
}

TEST(TileRegionStitcher, MoreRegionsThanALabelImageHoldsIsAnError)
{
  // Two 200 x 200 tiles of one region per pixel: 80000 regions.
  const itk::Size<2> size{ { 400, 200 } };
  TileRegionStitcher stitcher(size, 0);
  const auto         each = [](long x, long y) { return static_cast<int>(y * 400 + x + 1); };
  stitcher.AddTile(TileLabels(Box(0, 0, 200, 200), each), Box(0, 0, 200, 200), Box(0, 0, 200, 200));
  stitcher.AddTile(TileLabels(Box(200, 0, 200, 200), each), Box(200, 0, 200, 200), Box(200, 0, 200, 200));
  try
  {
    stitcher.Finish();
    FAIL() << "80000 regions accepted";
  }
  catch (const Error & e)
  {
    EXPECT_NE(std::string(e.what()).find("80000 regions"), std::string::npos) << e.what();
  }
}
