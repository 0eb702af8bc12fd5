#include <gtest/gtest.h>

#include "tesseraBase64.h"
#include "tesseraError.h"

using namespace tessera;

TEST(Base64, MatchesRFC4648TestVectors)
{
  // RFC 4648, section 10.
  const std::pair<std::string, std::string> vectors[] = { { "", "" },         { "f", "Zg==" },         { "fo", "Zm8=" },
                                                          { "foo", "Zm9v" },  { "foob", "Zm9vYg==" },  { "fooba", "Zm9vYmE=" },
                                                          { "foobar", "Zm9vYmFy" } };
  for (const auto & [plain, encoded] : vectors)
  {
    EXPECT_EQ(EncodeBase64(plain.data(), plain.size()), encoded);
    const auto bytes = DecodeBase64(encoded);
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), plain);
  }
}

TEST(Base64, RoundTripsEveryByteValue)
{
  std::vector<unsigned char> bytes(256 * 3 + 1);
  for (std::size_t i = 0; i < bytes.size(); ++i)
  {
    bytes[i] = static_cast<unsigned char>(i * 7);
  }
  const std::string text = EncodeBase64(bytes.data(), bytes.size());
  EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
            std::string::npos);
  EXPECT_EQ(DecodeBase64(text), bytes);
}

TEST(Base64, RejectsWhatIsNotBase64)
{
  for (const std::string bad : { "Zg=", "Zm9v!A==", "Z===", "Zg==Zm9v", "Zm 9v", "Zg=a" })
  {
    EXPECT_THROW(DecodeBase64(bad), Error) << bad;
  }
}
