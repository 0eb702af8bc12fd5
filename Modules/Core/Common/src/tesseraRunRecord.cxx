#include "tesseraRunRecord.h"

#include <array>
#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>
#include <fstream>
#include <memory>

#include <sys/resource.h>

#include "tesseraError.h"
#include "tesseraImageIO.h"

namespace tessera
{
namespace
{
/** SHA-256 (FIPS 180-4), streamed in 64-byte blocks. Written here because OpenSSL's libcrypto
 * crashes when loaded beside the other libraries `tessera` links. */
class Sha256
{
public:
  void Update(const unsigned char * data, size_t n)
  {
    for (size_t i = 0; i < n; ++i)
    {
      m_Block[m_Used++] = data[i];
      if (m_Used == 64)
      {
        Compress();
        m_Used = 0;
      }
    }
    m_Bits += 8 * static_cast<uint64_t>(n);
  }

  std::string HexDigest()
  {
    const uint64_t bits = m_Bits;
    const unsigned char one = 0x80, zero = 0;
    Update(&one, 1);
    while (m_Used != 56)
    {
      Update(&zero, 1);
    }
    unsigned char length[8];
    for (int i = 0; i < 8; ++i)
    {
      length[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    }
    Update(length, 8);
    std::string hex;
    for (const uint32_t h : m_State)
    {
      char word[9];
      std::snprintf(word, sizeof word, "%08x", h);
      hex += word;
    }
    return hex;
  }

private:
  static uint32_t Rotate(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void Compress()
  {
    static constexpr uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
    };
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
    {
      w[i] = uint32_t(m_Block[4 * i]) << 24 | uint32_t(m_Block[4 * i + 1]) << 16 | uint32_t(m_Block[4 * i + 2]) << 8 |
             uint32_t(m_Block[4 * i + 3]);
    }
    for (int i = 16; i < 64; ++i)
    {
      const uint32_t s0 = Rotate(w[i - 15], 7) ^ Rotate(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = Rotate(w[i - 2], 17) ^ Rotate(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = m_State[0], b = m_State[1], c = m_State[2], d = m_State[3], e = m_State[4], f = m_State[5],
             g = m_State[6], h = m_State[7];
    for (int i = 0; i < 64; ++i)
    {
      const uint32_t t1 = h + (Rotate(e, 6) ^ Rotate(e, 11) ^ Rotate(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (Rotate(a, 2) ^ Rotate(a, 13) ^ Rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    const uint32_t add[8] = { a, b, c, d, e, f, g, h };
    for (int i = 0; i < 8; ++i)
    {
      m_State[i] += add[i];
    }
  }

  uint32_t      m_State[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  unsigned char m_Block[64] = {};
  size_t        m_Used = 0;
  uint64_t      m_Bits = 0;
};
} // namespace

std::string
Sha256OfText(const std::string & text)
{
  Sha256 sha;
  sha.Update(reinterpret_cast<const unsigned char *>(text.data()), text.size());
  return sha.HexDigest();
}

std::string
Sha256OfFile(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
  {
    throw Error(path, "cannot be read to compute its checksum");
  }
  Sha256                    sha;
  std::array<char, 1 << 16> buffer;
  while (file.read(buffer.data(), buffer.size()) || file.gcount() > 0)
  {
    sha.Update(reinterpret_cast<const unsigned char *>(buffer.data()), static_cast<size_t>(file.gcount()));
  }
  if (file.bad())
  {
    throw Error(path, "cannot be read to compute its checksum");
  }
  return sha.HexDigest();
}

std::string
Sha256OfPath(const std::string & path)
{
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec))
  {
    return Sha256OfFile(path);
  }
  std::vector<std::string> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec))
  {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.')
    {
      if (it->is_directory())
      {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (it->is_regular_file())
    {
      files.push_back(std::filesystem::relative(it->path(), path).generic_string());
    }
  }
  if (ec)
  {
    throw Error(path, "cannot be listed to compute its checksum: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::string manifest;
  for (const auto & f : files)
  {
    manifest += f + "\t" + Sha256OfFile((std::filesystem::path(path) / f).string()) + "\n";
  }
  return Sha256OfText(manifest);
}

ResourceUsage
CurrentResourceUsage()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  ResourceUsage r;
  r.cpuSeconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  r.peakMemoryMiB = usage.ru_maxrss / 1024.0; // KiB on Linux
  return r;
}

std::string
RunRecordPath(const std::string & outputPath)
{
  return SplitExtension(outputPath).first + ".run.json";
}
} // namespace tessera
