#ifndef tesseraRunRecord_h
#define tesseraRunRecord_h

#include <string>

/** \file What a run record (`<output stem>.run.json`, written beside the outputs of every
 * application run) needs from the system: file checksums and the process's resource use. */
namespace tessera
{
/** The SHA-256 of a file's bytes as 64 lowercase hex digits. \throws Error naming the file when it cannot be read. */
std::string Sha256OfFile(const std::string & path);
/** A file's SHA-256, or for a folder the SHA-256 of its manifest: one "relative/path<TAB>sha256"
 * line per file (hidden files and folders skipped), sorted. \throws Error naming the path. */
std::string Sha256OfPath(const std::string & path);
/** The SHA-256 of text, as 64 lowercase hex digits. */
std::string Sha256OfText(const std::string & text);

/** CPU time and peak resident memory of this process so far (getrusage). */
struct ResourceUsage
{
  double cpuSeconds = 0;    ///< user + system, s
  double peakMemoryMiB = 0; ///< maximum resident set size, MiB
};
ResourceUsage CurrentResourceUsage();

/** "out/brain.nii.gz" → "out/brain.run.json": where the record of the run that wrote an output goes. */
std::string RunRecordPath(const std::string & outputPath);
} // namespace tessera

#endif
