// syslog handler: one summary line per run; failures at LOG_ERR.
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/redact.h"
#include "base/strings.h"
#include "report/handlers/handlers.h"

namespace roux::report {

std::string syslog_line(const RunReport& report) {
  const Totals& t = report.totals;
  int vfail = 0;
  for (const auto& v : report.verify) vfail += v.status == "failed";
  std::string s = "run " + report.run_id + " " + report.mode + " policy " + report.policy + ": " +
                  std::to_string(report.mode == "plan" ? t.would_change : t.changed) +
                  (report.mode == "plan" ? " to change, " : " changed, ") + std::to_string(t.unchanged) +
                  " unchanged, " + std::to_string(t.failed) + " failed, " + std::to_string(t.skipped) + " skipped";
  if (!report.verify.empty()) s += ", verify " + std::to_string(vfail) + " failed";
  if (!report.errors.empty()) s += ", error: " + report.errors.front();
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.3f", report.duration_ms / 1000.0);
  // One line, whatever the run's text holds: a newline or other control byte is escaped (\xNN),
  // so an error cannot forge a second syslog record. Other bytes go as they are (syslog carries
  // bytes, and RFC 3164 has no charset).
  std::string line = escape_controls(s + "; exit " + std::to_string(report.exit_code) + " in " + dur + " s");
  for (size_t at; (at = line.find('\n')) != std::string::npos;) line.replace(at, 1, "\\x0a");
  return line;
}

Status syslog_send(const std::string& ident, int priority, const std::string& line, const std::string& path) {
  if (path.empty()) {
    openlog(ident.c_str(), LOG_PID, LOG_DAEMON);
    syslog(priority, "%s", line.c_str());
    closelog();
    return Status::ok();
  }
  // A named socket: the datagram syslog(3) would send to /dev/log (RFC 3164 framing).
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::io("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    close(fd);
    return Status::invalid_input("syslog socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  std::string msg = "<" + std::to_string(LOG_DAEMON | priority) + ">" + ident + "[" + std::to_string(getpid()) + "]: " + line;
  ssize_t n = sendto(fd, msg.data(), msg.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (n < 0) return Status::io("send to " + path, err);
  return Status::ok();
}

Status syslog_handler(const RunReport& report, const HandlerConfig& cfg) {
  int prio = (report.exit_code & 4) || report.exit_code == 1 ? LOG_ERR : LOG_NOTICE;
  return syslog_send(cfg.ident, prio, redact::redact(syslog_line(report)), cfg.path);
}

}  // namespace roux::report
