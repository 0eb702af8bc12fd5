#include "tesseraProgress.h"

#include <cstdio>
#include <unistd.h>

#include "itkCommand.h"

namespace tessera
{
ProgressReporter::ProgressReporter(std::string task, bool quiet)
  : m_Task(std::move(task))
  , m_Quiet(quiet)
  , m_Terminal(isatty(fileno(stderr)) != 0)
  , m_Start(std::chrono::steady_clock::now())
{}

ProgressReporter::~ProgressReporter()
{
  if (m_Watched)
  {
    m_Watched->RemoveObserver(m_Observer);
  }
  if (m_Open)
  {
    std::fputc('\n', stderr);
  }
}

void
ProgressReporter::Watch(itk::ProcessObject * filter, const std::string & stage)
{
  if (m_Watched)
  {
    m_Watched->RemoveObserver(m_Observer);
  }
  m_Stage = stage;
  m_LastStep = -1;
  m_Watched = filter;
  auto cb = itk::CStyleCommand::New();
  cb->SetClientData(this);
  cb->SetCallback([](itk::Object * caller, const itk::EventObject &, void * self) {
    static_cast<ProgressReporter *>(self)->Report(static_cast<itk::ProcessObject *>(caller)->GetProgress());
  });
  m_Observer = filter->AddObserver(itk::ProgressEvent(), cb);
}

void
ProgressReporter::SetStage(const std::string & stage)
{
  if (stage == m_Stage)
  {
    return;
  }
  if (m_Open)
  {
    std::fputc('\n', stderr);
    m_Open = false;
  }
  m_Stage = stage;
  m_LastStep = -1;
}

void
ProgressReporter::Report(double fraction)
{
  if (m_Quiet)
  {
    return;
  }
  const int percent = static_cast<int>(100.0 * std::min(1.0, std::max(0.0, fraction)));
  const int step = m_Terminal ? percent : percent / 10;
  if (step == m_LastStep)
  {
    return;
  }
  m_LastStep = step;
  const std::string label = m_Task + (m_Stage.empty() ? "" : " [" + m_Stage + "]");
  if (m_Terminal)
  {
    const int width = 30;
    const int filled = percent * width / 100;
    std::fprintf(stderr, "\r%s %3d%% |%s%s|", label.c_str(), percent, std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str());
    m_Open = true;
  }
  else
  {
    std::fprintf(stderr, "%s: %d%%\n", label.c_str(), step * 10);
  }
  std::fflush(stderr);
}

void
ProgressReporter::Done()
{
  if (m_Quiet)
  {
    return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_Start).count();
  if (m_Open)
  {
    std::fputc('\n', stderr);
    m_Open = false;
  }
  std::fprintf(stderr, "%s: done in %.1f s\n", m_Task.c_str(), seconds);
}
} // namespace tessera
