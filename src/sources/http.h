#pragma once
#include <string>

#include "base/status.h"

namespace roux::sources {

/// Bounds on one transfer, so a slow or stalled server cannot hold a run: the connection must be
/// made within `connect_timeout_s`, the whole transfer must end within `timeout_s`, and a transfer
/// slower than `low_speed_bytes` per second for `low_speed_time_s` seconds is aborted. A transfer
/// that hit one of these limits is not retried. client.yaml `http:` sets them (docs/security.md).
struct TransferLimits {
  long connect_timeout_s = 10;
  long timeout_s = 120;
  long low_speed_bytes = 1000;
  long low_speed_time_s = 30;
};

/// One GET over http(s):// (libcurl) or file://. TLS is always verified (peer and host name);
/// `ca_bundle` replaces the system's CA store. Connection errors, timeouts and 5xx answers are
/// retried `retries` times with exponential backoff (250 ms, 500 ms, ...), except a transfer
/// stopped by `limits` (its deadline is its deadline); a server that could not be connected to
/// (or resolved) after every retry is tried once, without retries, by later calls of the same
/// process until it answers again. With `etag` or
/// `last_modified` set, the request is conditional and an unchanged resource answers 304 with an
/// empty body. Proxies from the environment are honoured except for 127.0.0.1 and localhost.
struct FetchRequest {
  std::string url;
  std::string etag;            // If-None-Match
  std::string last_modified;   // If-Modified-Since
  std::string ca_bundle;
  TransferLimits limits;
  int retries = 3;
  size_t max_bytes = size_t(64) << 20;  // bigger answers are refused
};

struct FetchResponse {
  long status = 0;             // 200, or 304 when not modified (file:// always 200)
  std::string body;
  std::string etag, last_modified;
};

/// Performs the request. A 404 (or a missing file://) is kNotFound "URL: not found"; other
/// failures are kIo naming the URL and the cause. Thread-safe (one curl handle per call).
Result<FetchResponse> fetch_url(const FetchRequest& request);

/// `base` joined with `ref` when `ref` is relative ("NAME-1.0.0.tar.gz"); `ref` itself when it
/// already has a scheme.
std::string resolve_url(const std::string& base, const std::string& ref);

}  // namespace roux::sources
