#ifndef tesseraError_h
#define tesseraError_h

#include <stdexcept>
#include <string>

namespace tessera
{
/** The one exception type Tessera throws for bad input. what() reads "<subject>: <problem>",
 * where the subject is the file (or option) at fault, so applications can print it as the
 * single error line users see. */
class Error : public std::runtime_error
{
public:
  Error(const std::string & subject, const std::string & problem)
    : std::runtime_error(subject.empty() ? problem : subject + ": " + problem)
    , m_Subject(subject)
    , m_Problem(problem)
  {}
  const std::string & Subject() const { return m_Subject; }
  const std::string & Problem() const { return m_Problem; }

private:
  std::string m_Subject;
  std::string m_Problem;
};
} // namespace tessera

#endif
