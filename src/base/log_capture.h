#pragma once
// Log lines kept for later (base/log.h's lines, held back on one thread). In its own header so
// the many includers of log.h do not depend on it.
#include <string>
#include <vector>

namespace roux::log {

/// A line kept by a Capture: what write_line would have written (tag and priority included).
struct CapturedLine {
  int priority;
  std::string text;  // "warning: ..." (the tag, then the message)
};

/// While a Capture lives, the lines this thread logs (those the level lets through) are appended
/// to `into`, in order, instead of being written; replay() writes them later. For work spread
/// over threads whose messages must come out in one fixed order (the compile's workers). Nests:
/// the innermost one on a thread keeps the lines; when it ends, the one it hid keeps them again.
class Capture {
 public:
  explicit Capture(std::vector<CapturedLine>* into);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

 private:
  std::vector<CapturedLine>* outer_;
};
/// Writes captured lines as they would have been written when logged (into this thread's
/// Capture, if one is alive).
void replay(const std::vector<CapturedLine>& lines);

}  // namespace roux::log
