#include "engine/verify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "base/strings.h"
#include "libs/curl_api.h"

namespace roux::engine {
namespace {

using Clock = std::chrono::steady_clock;

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() < (1 << 20)) body->append(data, std::min(len, (size_t{1} << 20) - body->size()));
  return len;
}

/// "" when the check passes, else why not.
std::string check_http(const VerifyCheck& c) {
  auto loaded = libs::curl();
  if (!loaded.is_ok()) return loaded.status().to_string();
  const libs::Curl& lib = **loaded;
  CURL* curl = lib.curl_easy_init();
  if (!curl) return "cannot initialise libcurl";
  std::string body;
  lib.curl_easy_setopt(curl, CURLOPT_URL, c.target.c_str());
  lib.curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout_ms));
  lib.curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib.curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  lib.curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  lib.curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  CURLcode rc = lib.curl_easy_perform(curl);
  long status = 0;
  lib.curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  lib.curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return lib.curl_easy_strerror(rc);
  if (status != c.expect_status) return "status " + std::to_string(status) + ", want " + std::to_string(c.expect_status);
  if (!c.contains.empty() && body.find(c.contains) == std::string::npos)
    return "response body does not contain \"" + one_line(c.contains) + "\"";
  return "";
}

std::string check_tcp(const VerifyCheck& c) {
  auto colon = c.target.rfind(':');
  std::string host = c.target.substr(0, colon), port = c.target.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int e = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); e != 0) return std::string("resolve: ") + gai_strerror(e);
  std::string why = "no address";
  auto deadline = Clock::now() + std::chrono::milliseconds(c.timeout_ms);
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      r = poll(&p, 1, std::max(left, 0));
      if (r == 0) {
        why = "connect timed out after " + std::to_string(c.timeout_ms) + " ms";
        close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r == 0) {
      close(fd);
      freeaddrinfo(res);
      return "";
    }
    why = std::string("connect: ") + std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return why;
}

std::string check_command(const VerifyCheck& c, const host::Host& host) {
  SubprocessOptions o = shell(c.target);
  o.timeout = std::chrono::milliseconds(c.timeout_ms);
  o.max_output = 4096;
  auto r = host.run_check(o);
  if (!r.is_ok()) return r.status().message();
  if (r->timed_out) return "timed out after " + std::to_string(c.timeout_ms) + " ms";
  if (r->signal) return "killed by signal " + std::to_string(r->signal);
  if (r->exit_code != 0) {
    std::string msg = "exited " + std::to_string(r->exit_code);
    if (!c.sensitive && !r->output.empty()) msg += ": " + one_line(std::string(trim(r->output)), 200);
    return msg;
  }
  return "";
}

std::string check_file_contains(const VerifyCheck& c, const host::Host& host) {
  auto text = host.read_file(c.target);
  if (!text.is_ok()) return text.status().message();
  if (text->find(c.contains) == std::string::npos)
    return c.sensitive ? "does not contain the expected text" : "does not contain \"" + one_line(c.contains) + "\"";
  return "";
}

}  // namespace

const char* verify_kind_name(VerifyCheck::Kind kind) {
  switch (kind) {
    case VerifyCheck::Kind::kHttp: return "http";
    case VerifyCheck::Kind::kTcp: return "tcp";
    case VerifyCheck::Kind::kCommand: return "command";
    case VerifyCheck::Kind::kFileContains: return "file_contains";
  }
  return "?";
}

VerifyResult run_verify_check(const VerifyCheck& c, const host::Host& host) {
  VerifyResult r{c.name, verify_kind_name(c.kind), c.sensitive ? "(sensitive)" : c.target, "", 0, 0, "",
                 c.where.empty() ? "" : c.where.to_string()};
  auto t0 = Clock::now();
  std::string why;
  for (int attempt = 1; attempt <= c.retries + 1; ++attempt) {
    r.attempts = attempt;
    switch (c.kind) {
      case VerifyCheck::Kind::kHttp: why = check_http(c); break;
      case VerifyCheck::Kind::kTcp: why = check_tcp(c); break;
      case VerifyCheck::Kind::kCommand: why = check_command(c, host); break;
      case VerifyCheck::Kind::kFileContains: why = check_file_contains(c, host); break;
    }
    if (why.empty()) break;
    if (attempt <= c.retries) std::this_thread::sleep_for(std::chrono::milliseconds(c.retry_delay_ms));
  }
  r.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r.status = why.empty() ? "passed" : "failed";
  if (!why.empty())
    r.message = why + (r.attempts > 1 ? " (after " + std::to_string(r.attempts) + " attempts)" : "");
  return r;
}

std::vector<VerifyResult> run_verify(const std::vector<VerifyCheck>& checks, const host::Host& host, Mode mode) {
  std::vector<VerifyResult> out;
  for (const auto& c : checks) {
    if (mode == Mode::kPlan) {
      out.push_back({c.name, verify_kind_name(c.kind), c.sensitive ? "(sensitive)" : c.target, "planned", 0, 0, "",
                     c.where.empty() ? "" : c.where.to_string()});
    } else {
      out.push_back(run_verify_check(c, host));
    }
  }
  return out;
}

}  // namespace roux::engine
