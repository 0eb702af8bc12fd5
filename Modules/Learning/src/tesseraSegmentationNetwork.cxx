#include "tesseraSegmentationNetwork.h"

#include "tesseraError.h"
#include "tesseraGroupUNet.h"

namespace tessera
{
void
CheckSpatialSizes(const torch::Tensor & x, int64_t multiple, const std::string & network)
{
  for (int64_t a = 2; a < x.dim(); ++a)
  {
    if (x.size(a) % multiple != 0)
    {
      throw Error("network", network + " input size " + std::to_string(x.size(a)) + " along axis " +
                               std::to_string(a - 2) + " is not a multiple of " + std::to_string(multiple));
    }
  }
}

std::shared_ptr<SegmentationNetworkImpl>
MakeNetwork(const NetworkOptions & options)
{
  ValidateNetworkOptions(options, "network");
  // One branch per architecture. FPN, LinkNet and GridNet live in their own files
  // (tesseraFPN.cxx, tesseraLinkNet.cxx, tesseraGridNet.cxx); add their branches here.
  if (options.architecture == "unet")
  {
    return options.equivariance == "none" ? MakeUNet(options) : MakeGroupUNet(options);
  }
  if (options.architecture == "fpn")
  {
    return MakeFPN(options);
  }
  if (options.architecture == "linknet")
  {
    return MakeLinkNet(options);
  }
  if (options.architecture == "gridnet")
  {
    return MakeGridNet(options);
  }
  throw Error("architecture", "unknown network architecture \"" + options.architecture +
                                "\" (expected unet, fpn, linknet or gridnet)");
}
} // namespace tessera
