#include "sources/http.h"

#include <unistd.h>

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

struct Sink {
  std::string* body;
  size_t max;
  bool too_big = false;
};

size_t on_body(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  if (s->body->size() + size * n > s->max) {
    s->too_big = true;
    return 0;  // aborts the transfer
  }
  s->body->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* user) {
  auto* r = static_cast<FetchResponse*>(user);
  std::string_view line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string key(trim(line.substr(0, colon)));
    for (auto& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value(trim(line.substr(colon + 1)));
    if (key == "etag") r->etag = value;
    else if (key == "last-modified") r->last_modified = value;
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

Result<FetchResponse> fetch_http_once(const FetchRequest& req, bool* retryable, bool* unreachable) {
  *retryable = false;
  *unreachable = false;
  ROUX_ASSIGN_OR_RETURN(const libs::Curl* loaded, libs::curl());
  const libs::Curl& lib = *loaded;
  std::unique_ptr<CURL, decltype(lib.curl_easy_cleanup)> h(lib.curl_easy_init(), lib.curl_easy_cleanup);
  if (!h) return Status::internal("curl_easy_init failed");
  FetchResponse r;
  Sink sink{&r.body, req.max_bytes};
  char err[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
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
  lib.curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  if (headers) lib.curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = lib.curl_easy_perform(c);
  if (sink.too_big)
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": answer larger than " + std::to_string(req.max_bytes) + " bytes; refused");
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
  if (r.status != 200 && r.status != 304)
    return Status::io_msg(redact::strip_url_credentials(req.url) + ": HTTP " + std::to_string(r.status));
  return r;
}

}  // namespace

Result<FetchResponse> fetch_url(const FetchRequest& req) {
  if (starts_with(req.url, "file://")) return fetch_file(req);
  if (!starts_with(req.url, "http://") && !starts_with(req.url, "https://"))
    return Status::unsupported(redact::strip_url_credentials(req.url) + ": unsupported scheme (http://, https:// or file://)");
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
    auto r = fetch_http_once(req, &retryable, &unreachable);
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

std::string resolve_url(const std::string& base, const std::string& ref) {
  if (ref.find("://") != std::string::npos) return ref;
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + "/" + ref;
}

}  // namespace roux::sources
