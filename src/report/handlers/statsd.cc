// statsd handler: the run's figures as StatsD / DogStatsD datagrams over UDP (or a unix datagram
// socket), sent without waiting: a missing or slow receiver never slows or fails the run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/redact.h"
#include "report/handlers/handlers.h"

namespace roux::report {
namespace {

/// A tag or name part: DogStatsD splits on , | # : and newlines; anything but [A-Za-z0-9_.-/]
/// becomes '_'.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-' || c == '/';
    out += ok ? c : '_';
  }
  return out.substr(0, 200);
}

Status send_all(const HandlerConfig& cfg, const std::vector<std::string>& packets) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (!cfg.path.empty()) {
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    if (cfg.path.size() >= sizeof un->sun_path) return Status::invalid_input("statsd socket path too long: " + cfg.path);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, cfg.path.c_str(), cfg.path.size());
    len = sizeof(sockaddr_un);
    family = AF_UNIX;
  } else {
    ROUX_ASSIGN_OR_RETURN(auto hp, parse_host_port(cfg.address, 8125));
    auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, hp.first.c_str(), &in4->sin_addr) == 1) {
      in4->sin_family = AF_INET;
      in4->sin_port = htons(hp.second);
      len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, hp.first.c_str(), &in6->sin6_addr) == 1) {
      in6->sin6_family = family = AF_INET6;
      in6->sin6_port = htons(hp.second);
      len = sizeof(sockaddr_in6);
    } else {
      return Status::invalid_input("statsd address \"" + cfg.address + "\": not a numeric IP address");
    }
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::io("socket", errno);
  Status st;
  for (const auto& p : packets) {
    if (sendto(fd, p.data(), p.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      st = Status::io("send to " + (cfg.path.empty() ? cfg.address : cfg.path), errno);
      break;
    }
  }
  close(fd);
  return st;
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& address, uint16_t default_port) {
  std::string host = address, port;
  if (!address.empty() && address[0] == '[') {  // [::1]:8125
    auto close_at = address.find(']');
    if (close_at == std::string::npos) return Status::invalid_input("address \"" + address + "\": missing ]");
    host = address.substr(1, close_at - 1);
    if (close_at + 1 < address.size()) {
      if (address[close_at + 1] != ':') return Status::invalid_input("address \"" + address + "\": expected :PORT after ]");
      port = address.substr(close_at + 2);
    }
  } else if (auto colon = address.rfind(':'); colon != std::string::npos && address.find(':') == colon) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) return Status::invalid_input("address \"" + address + "\": no host");
  // A numeric address only: a name lookup could hang the end of every run on a broken resolver.
  in6_addr probe{};
  if (inet_pton(AF_INET, host.c_str(), &probe) != 1 && inet_pton(AF_INET6, host.c_str(), &probe) != 1)
    return Status::invalid_input("address \"" + address + "\": not a numeric IP address (names are not looked up)");
  uint16_t p = default_port;
  if (!port.empty()) {
    unsigned long v = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || v > 65535) return Status::invalid_input("address \"" + address + "\": bad port");
      v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    if (v == 0 || v > 65535) return Status::invalid_input("address \"" + address + "\": port out of range 1-65535");
    p = static_cast<uint16_t>(v);
  }
  return std::make_pair(host, p);
}

std::vector<std::string> statsd_lines(const RunReport& report, const HandlerConfig& cfg) {
  std::string tags;
  if (cfg.format != "statsd") {
    std::vector<std::string> t = {"policy:" + clean(report.policy), "host:" + clean(report.hostname)};
    for (const auto& [k, v] : cfg.tags) t.push_back(clean(k) + ":" + clean(v));
    for (const auto& s : t) tags += (tags.empty() ? "|#" : ",") + s;
  }
  std::string p = cfg.prefix.empty() ? "" : clean(cfg.prefix) + ".";
  const Totals& t = report.totals;
  bool failed = (report.exit_code & 4) != 0 || report.exit_code == 1;
  std::vector<std::string> out = {
      p + "run.duration:" + std::to_string(static_cast<long long>(report.duration_ms + 0.5)) + "|ms" + tags,
      p + "run.exit_code:" + std::to_string(report.exit_code) + "|g" + tags,
      p + "run.failed:" + std::string(failed ? "1" : "0") + "|g" + tags,
      p + "run.count:1|c" + tags,
      p + "resources.changed:" + std::to_string(t.changed) + "|g" + tags,
      p + "resources.unchanged:" + std::to_string(t.unchanged) + "|g" + tags,
      p + "resources.failed:" + std::to_string(t.failed) + "|g" + tags,
      p + "resources.skipped:" + std::to_string(t.skipped) + "|g" + tags,
  };
  int vfail = 0;
  for (const auto& v : report.verify) vfail += v.status == "failed";
  if (!report.verify.empty()) out.push_back(p + "verify.failed:" + std::to_string(vfail) + "|g" + tags);
  return out;
}

Status statsd_handler(const RunReport& report, const HandlerConfig& cfg) {
  // Lines packed into datagrams of at most 1432 bytes (a safe UDP payload on a 1500 MTU path).
  std::vector<std::string> packets;
  for (const auto& line : statsd_lines(report, cfg)) {
    std::string l = redact::redact(line);
    if (packets.empty() || packets.back().size() + 1 + l.size() > 1432) packets.push_back(l);
    else packets.back() += "\n" + l;
  }
  return send_all(cfg, packets);
}

}  // namespace roux::report
