#include "tesseraBase64.h"

#include <array>
#include <cstdint>

#include "tesseraError.h"

namespace tessera
{
namespace
{
constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Value of each character, 64 for characters outside the alphabet. */
std::array<std::uint8_t, 256>
DecodingTable()
{
  std::array<std::uint8_t, 256> table{};
  table.fill(64);
  for (std::uint8_t i = 0; i < 64; ++i)
  {
    table[static_cast<unsigned char>(Alphabet[i])] = i;
  }
  return table;
}
} // namespace

std::string
EncodeBase64(const void * data, std::size_t size)
{
  const auto * in = static_cast<const unsigned char *>(data);
  std::string  out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3)
  {
    const std::uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    out += { Alphabet[v >> 18], Alphabet[v >> 12 & 63], Alphabet[v >> 6 & 63], Alphabet[v & 63] };
  }
  if (size - i == 1)
  {
    out += { Alphabet[in[i] >> 2], Alphabet[(in[i] & 3) << 4], '=', '=' };
  }
  else if (size - i == 2)
  {
    const std::uint32_t v = in[i] << 8 | in[i + 1];
    out += { Alphabet[v >> 10], Alphabet[v >> 4 & 63], Alphabet[(v & 15) << 2], '=' };
  }
  return out;
}

std::vector<unsigned char>
DecodeBase64(const std::string & text)
{
  static const std::array<std::uint8_t, 256> table = DecodingTable();
  if (text.size() % 4)
  {
    throw Error("base64", "its length is not a multiple of 4");
  }
  const std::size_t padding = text.empty() ? 0 : (text.back() == '=') + (text.size() > 1 && text[text.size() - 2] == '=');
  std::vector<unsigned char> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4)
  {
    const bool    last = i + 4 == text.size();
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j)
    {
      const bool padded = last && j >= 4 - padding;
      const auto c = table[static_cast<unsigned char>(text[i + j])];
      if (padded ? text[i + j] != '=' : c == 64)
      {
        throw Error("base64", "holds a character outside the base64 alphabet at position " + std::to_string(i + j));
      }
      v = v << 6 | (padded ? 0 : c);
    }
    const std::size_t bytes = last ? 3 - padding : 3;
    for (std::size_t j = 0; j < bytes; ++j)
    {
      out.push_back(static_cast<unsigned char>(v >> (16 - 8 * j)));
    }
  }
  return out;
}
} // namespace tessera
