#ifndef tesseraBase64_h
#define tesseraBase64_h

#include <cstddef>
#include <string>
#include <vector>

namespace tessera
{
/** Base64 (RFC 4648, standard alphabet, '=' padding) of `size` bytes: binary arrays inside JSON files
 * (models), which decode at memory speed where a JSON parser takes about 0.4 s per million numbers. */
std::string
EncodeBase64(const void * data, std::size_t size);

/** The bytes of RFC 4648 base64 text (standard alphabet, padded, no line breaks).
 * \throws Error("base64", ...) when the text is not such base64. */
std::vector<unsigned char>
DecodeBase64(const std::string & text);
} // namespace tessera

#endif
