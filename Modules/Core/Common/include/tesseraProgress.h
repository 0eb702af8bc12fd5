#ifndef tesseraProgress_h
#define tesseraProgress_h

#include <chrono>
#include <string>

#include "itkProcessObject.h"

namespace tessera
{
/** Shows the progress of long work on stderr: a redrawn bar on a terminal, plain
 * "task: 40%" lines every 10% otherwise (logs, CI), nothing when quiet. Follows ITK filters
 * through their ProgressEvent, or takes fractions from Report(). */
class ProgressReporter
{
public:
  ProgressReporter(std::string task, bool quiet);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter &) = delete;
  ProgressReporter & operator=(const ProgressReporter &) = delete;

  /** Reports the filter's progress until it finishes (or this reporter is destroyed). */
  void Watch(itk::ProcessObject * filter, const std::string & stage);
  /** Starts reporting a new stage of the task by name (e.g. "affine, level 2/3"); the stage
   * already reported keeps its line. */
  void SetStage(const std::string & stage);
  /** Progress of the current stage, fraction in [0, 1]. */
  void Report(double fraction);
  /** Ends the current line with the elapsed time in seconds. */
  void Done();

private:
  std::string                           m_Task;
  std::string                           m_Stage;
  bool                                  m_Quiet;
  bool                                  m_Terminal;
  int                                   m_LastStep = -1;
  bool                                  m_Open = false;
  std::chrono::steady_clock::time_point m_Start;
  itk::ProcessObject::Pointer           m_Watched; // kept alive until the observer is removed
  unsigned long                         m_Observer = 0;
};
} // namespace tessera

#endif
