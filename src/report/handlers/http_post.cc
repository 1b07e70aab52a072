// POST a body to a URL with libcurl, bounded in time and attempts: the webhook and events handlers.

#include <chrono>
#include <thread>

#include "base/redact.h"
#include "libs/curl_api.h"
#include "report/handlers/handlers.h"

namespace roux::report {
namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

Status post_json(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                 int timeout_ms, int retries) {
  using Clock = std::chrono::steady_clock;
  ROUX_ASSIGN_OR_RETURN(const libs::Curl* loaded, libs::curl());
  const libs::Curl& lib = *loaded;
  // The timeout is the whole budget: every attempt and every pause fits inside it.
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no attempt";
  for (int attempt = 1; attempt <= 1 + retries; ++attempt) {
    long left = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) break;
    CURL* curl = lib.curl_easy_init();
    if (!curl) return Status::internal("cannot initialise libcurl");
    curl_slist* list = lib.curl_slist_append(nullptr, "Content-Type: application/json");
    for (const auto& h : headers) list = lib.curl_slist_append(list, h.c_str());
    lib.curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    lib.curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    lib.curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    lib.curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    lib.curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, left);
    lib.curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib.curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = lib.curl_easy_perform(curl);
    long status = 0;
    lib.curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    lib.curl_slist_free_all(list);
    lib.curl_easy_cleanup(curl);
    if (rc == CURLE_OK && status >= 200 && status < 300) return Status::ok();
    last = rc != CURLE_OK ? std::string(lib.curl_easy_strerror(rc)) : "HTTP status " + std::to_string(status);
    // A 4xx will not improve with a retry; anything else (refused, 5xx, timeout) may.
    if (rc == CURLE_OK && status >= 400 && status < 500) break;
    auto pause = std::min<long>(500L * attempt, std::max<long>(0, left / 4));
    if (attempt <= retries) std::this_thread::sleep_for(std::chrono::milliseconds(pause));
  }
  return Status::io_msg("POST " + redact::url_for_display(url) + ": " + last);  // its path or query is often a token
}

}  // namespace roux::report
