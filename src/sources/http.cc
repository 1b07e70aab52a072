#include "sources/http.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/redact.h"
#include "base/strings.h"
#include "libs/curl_api.h"
#include "sources/local_file.h"

namespace roux::sources {
namespace {

// Where the answer's body goes: a string (fetch_url), or a part file that a cut transfer leaves
// behind for the next call to resume (fetch_url_resumable).
struct Sink {
  FetchResponse* r;
  std::string* body = nullptr;
  int fd = -1;                 // the part file, positioned at its end
  size_t have = 0;             // bytes already in the part file (the Range asked from there)
  size_t max;
  long status = 0;             // of the last status line seen (redirects have their own)
  long range_start = -1;       // Content-Range: bytes START-...
  size_t received = 0;         // body bytes of this answer
  bool started = false;        // the first body byte of the final answer arrived
  bool too_big = false, bad_range = false, restarted = false;
  int write_errno = 0;
};

size_t on_body(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (s->fd < 0) {
    if (s->body->size() + len > s->max) {
      s->too_big = true;
      return 0;  // aborts the transfer
    }
    s->body->append(p, len);
    return len;
  }
  if (s->status != 200 && s->status != 206) return len;  // an error page: never into the file
  if (!s->started) {
    s->started = true;
    if (s->status == 206 && s->range_start != long(s->have)) {
      s->bad_range = true;
      return 0;
    }
    if (s->status == 200 && s->have > 0) {  // the whole file again: start the part over
      if (::ftruncate(s->fd, 0) != 0 || ::lseek(s->fd, 0, SEEK_SET) != 0) {
        s->write_errno = errno;
        return 0;
      }
      s->have = 0;
      s->restarted = true;
    }
  }
  if (s->have + s->received + len > s->max) {
    s->too_big = true;
    return 0;
  }
  for (size_t done = 0; done < len;) {
    ssize_t w = ::write(s->fd, p + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->write_errno = w < 0 ? errno : EIO;
      return 0;
    }
    done += size_t(w);
  }
  s->received += len;
  return len;
}

size_t on_header(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  FetchResponse* r = s->r;
  std::string_view line(p, size * n);
  if (starts_with(line, "HTTP/")) {  // a new answer (after a redirect): its own headers
    auto sp = line.find(' ');
    s->status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    s->range_start = -1;
    r->etag.clear();
    r->last_modified.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string key(trim(line.substr(0, colon)));
    for (auto& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value(trim(line.substr(colon + 1)));
    if (key == "etag") r->etag = value;
    else if (key == "last-modified") r->last_modified = value;
    else if (key == "content-range" && starts_with(value, "bytes ") && value.size() > 6 &&
             std::isdigit(static_cast<unsigned char>(value[6])))
      s->range_start = std::atol(value.c_str() + 6);
  }
  return size * n;
}

Result<FetchResponse> fetch_file(const FetchRequest& req) {
  std::string path = req.url.substr(7);  // file://
  auto body = read_local_file(path, req.max_bytes);
  if (!body.is_ok()) {
    if (::access(path.c_str(), F_OK) != 0) return Status::not_found(redact::strip_url_credentials(req.url) + ": not found");
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": " + body.status().message());
  }
  FetchResponse r;
  r.status = 200;
  r.body = std::move(*body);
  return r;
}

// One attempt. With `sink.fd` set the body goes to that file, from `sink.have` on (Range).
Status fetch_http_once(const FetchRequest& req, Sink& sink, bool* retryable, bool* unreachable) {
  *retryable = false;
  *unreachable = false;
  ROUX_ASSIGN_OR_RETURN(const libs::Curl* loaded, libs::curl());
  const libs::Curl& lib = *loaded;
  std::unique_ptr<CURL, decltype(lib.curl_easy_cleanup)> h(lib.curl_easy_init(), lib.curl_easy_cleanup);
  if (!h) return Status::internal("curl_easy_init failed");
  FetchResponse& r = *sink.r;
  char err[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
  if (sink.fd >= 0 && sink.have > 0)
    headers = lib.curl_slist_append(headers, ("Range: bytes=" + std::to_string(sink.have) + "-").c_str());
  if (!req.etag.empty()) headers = lib.curl_slist_append(headers, ("If-None-Match: " + req.etag).c_str());
  if (!req.last_modified.empty())
    headers = lib.curl_slist_append(headers, ("If-Modified-Since: " + req.last_modified).c_str());
  std::unique_ptr<curl_slist, decltype(lib.curl_slist_free_all)> headers_owner(headers, lib.curl_slist_free_all);
  CURL* c = h.get();
  lib.curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  lib.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  lib.curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  lib.curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  lib.curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!req.ca_bundle.empty()) lib.curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_bundle.c_str());
  lib.curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost");
  lib.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req.limits.connect_timeout_s);
  lib.curl_easy_setopt(c, CURLOPT_TIMEOUT, req.limits.timeout_s);
  if (req.limits.low_speed_bytes > 0 && req.limits.low_speed_time_s > 0) {
    lib.curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, req.limits.low_speed_bytes);
    lib.curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req.limits.low_speed_time_s);
  }
  lib.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib.curl_easy_setopt(c, CURLOPT_USERAGENT, "roux");
  lib.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  lib.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  lib.curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  lib.curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  lib.curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  if (headers) lib.curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = lib.curl_easy_perform(c);
  if (sink.too_big)
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": answer larger than " + std::to_string(req.max_bytes) + " bytes; refused");
  if (sink.bad_range)
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": asked for the bytes from " + std::to_string(sink.have) +
                          " on, the server answered a range from " + std::to_string(sink.range_start));
  if (sink.write_errno) return Status::io("write the partial download of " + redact::strip_url_credentials(req.url), sink.write_errno);
  if (rc != CURLE_OK) {
    // A timeout (the deadline, or too slow for too long) is final: retrying would multiply it.
    *retryable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                 rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE || rc == CURLE_COULDNT_RESOLVE_HOST;
    *unreachable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
    std::string why = err[0] ? err : lib.curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      why += " (transfer limits: connect " + std::to_string(req.limits.connect_timeout_s) + " s, whole transfer " +
             std::to_string(req.limits.timeout_s) + " s, at least " + std::to_string(req.limits.low_speed_bytes) +
             " bytes/s over " + std::to_string(req.limits.low_speed_time_s) + " s; client.yaml http: sets them)";
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": " + why);
  }
  lib.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  if (r.status == 404 || r.status == 410) return Status::not_found(redact::strip_url_credentials(req.url) + ": not found (HTTP " + std::to_string(r.status) + ")");
  if (r.status >= 500) *retryable = true;
  if (r.status == 200 && sink.fd >= 0 && !sink.started && sink.have > 0) {  // an empty whole file
    if (::ftruncate(sink.fd, 0) != 0) return Status::io("truncate the partial download", errno);
    sink.have = 0;
    sink.restarted = true;
  }
  if (r.status != 200 && r.status != 304 && !(r.status == 206 && sink.fd >= 0))
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": HTTP " + std::to_string(r.status));
  return Status::ok();
}


// Runs `once(&retryable, &unreachable)` with fetch_url's retries and backoff (docs in http.h).
template <typename Once>
Result<FetchResponse> with_retries(const FetchRequest& req, Once&& once) {
  // A server that could not be reached even after every retry is tried once, not retried, for
  // the rest of this process: roux bootstrap converges pass after pass, and each pass would
  // otherwise wait out the backoff again against a source that is down (offline bootstrap).
  static std::mutex down_mu;
  static std::set<std::string> down;  // scheme://authority of servers found unreachable
  const size_t slash = req.url.find('/', req.url.find("://") + 3);
  const std::string origin = req.url.substr(0, slash);
  int retries = req.retries;
  {
    std::lock_guard<std::mutex> g(down_mu);
    if (down.count(origin)) retries = 0;
  }
  auto delay = std::chrono::milliseconds(250);
  for (int attempt = 0;; ++attempt) {
    bool retryable = false, unreachable = false;
    auto r = once(&retryable, &unreachable);
    if (!r.is_ok() && unreachable && attempt >= retries) {
      std::lock_guard<std::mutex> g(down_mu);
      down.insert(origin);
    }
    if (r.is_ok()) {
      std::lock_guard<std::mutex> g(down_mu);
      down.erase(origin);
    }
    if (r.is_ok() || !retryable || attempt >= retries) return r;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

Status check_scheme(const FetchRequest& req) {
  if (!starts_with(req.url, "http://") && !starts_with(req.url, "https://"))
    return Status::unsupported(redact::strip_url_credentials(req.url) + ": unsupported scheme (http://, https:// or file://)");
  return Status::ok();
}

}  // namespace

Result<FetchResponse> fetch_url(const FetchRequest& req) {
  if (starts_with(req.url, "file://")) return fetch_file(req);
  ROUX_TRY(check_scheme(req));
  return with_retries(req, [&](bool* retryable, bool* unreachable) {
    FetchResponse r;
    Sink sink{&r};
    sink.body = &r.body;
    sink.max = req.max_bytes;
    Status st = fetch_http_once(req, sink, retryable, unreachable);
    if (!st.is_ok()) return Result<FetchResponse>(st);
    return Result<FetchResponse>(std::move(r));
  });
}

Result<ResumedFetch> fetch_url_resumable(const FetchRequest& request, const std::string& part_file) {
  if (starts_with(request.url, "file://")) {
    ROUX_ASSIGN_OR_RETURN(FetchResponse r, fetch_file(request));
    ResumedFetch out;
    out.transferred = r.body.size();
    out.body = std::move(r.body);
    return out;
  }
  ROUX_TRY(check_scheme(request));
  FetchRequest req = request;
  req.etag.clear();
  req.last_modified.clear();
  const int fd = ::open(part_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::io("open " + part_file, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto size_of = [fd]() -> size_t {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? size_t(st.st_size) : 0;
  };
  ResumedFetch out;
  const size_t at_start = size_of();
  bool restarted = false;
  auto attempt = [&](bool* retryable, bool* unreachable) -> Result<FetchResponse> {
    FetchResponse r;
    Sink sink{&r};
    sink.fd = fd;
    sink.have = size_of();
    sink.max = req.max_bytes;
    ::lseek(fd, 0, SEEK_END);
    Status got = fetch_http_once(req, sink, retryable, unreachable);
    out.transferred += sink.received;
    restarted = restarted || sink.restarted;
    if (sink.too_big || sink.bad_range) {  // these bytes are no start to build on
      if (::ftruncate(fd, 0) == 0) restarted = true;
    }
    if (!got.is_ok() && sink.status == 416 && sink.have > 0 && ::ftruncate(fd, 0) == 0) {
      restarted = true;  // nothing past our end: the file is not what we hold; from byte 0
      *retryable = true;
    }
    if (!got.is_ok()) return Result<FetchResponse>(got);
    return Result<FetchResponse>(std::move(r));
  };
  ROUX_ASSIGN_OR_RETURN(FetchResponse done, with_retries(req, attempt));
  (void)done;
  out.resumed_from = restarted ? 0 : at_start;
  const size_t total = size_of();
  out.body.resize(total);
  for (size_t got = 0; got < total;) {
    ssize_t n = ::pread(fd, out.body.data() + got, total - got, off_t(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::io("read " + part_file, n < 0 ? errno : EIO);
    got += size_t(n);
  }
  return out;
}

std::string resolve_url(const std::string& base, const std::string& ref) {
  if (ref.find("://") != std::string::npos) return ref;
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + "/" + ref;
}

}  // namespace roux::sources
