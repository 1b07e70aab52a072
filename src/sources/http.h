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

/// What fetch_url_resumable fetched: the whole file, and how it came.
struct ResumedFetch {
  std::string body;         // the complete file (what was kept from before + what arrived now)
  size_t resumed_from = 0;  // bytes already in the part file that the server did not send again
  size_t transferred = 0;   // body bytes received by this call (all attempts)
};

/// fetch_url for a big file that survives interruptions: the answer's bytes are appended to
/// `part_file` as they arrive, so a transfer that is cut (connection lost, a transfer limit, the
/// process killed) leaves what arrived there. A later call (or a retry of this one) with N bytes
/// in `part_file` asks only for the rest (`Range: bytes=N-`): a 206 answer is appended, a 200 (the
/// server ignores ranges) replaces the file from its start, a 416 (nothing past N: the file
/// shrank) starts again from byte 0. Nothing here says the bytes are right: the caller verifies the
/// whole body (sha256, signature) and removes `part_file` after, kept or refused. `request.etag`
/// and `last_modified` are ignored; `max_bytes` bounds the whole file. file:// reads the file.
Result<ResumedFetch> fetch_url_resumable(const FetchRequest& request, const std::string& part_file);

/// `base` joined with `ref` when `ref` is relative ("NAME-1.0.0.tar.gz"); `ref` itself when it
/// already has a scheme.
std::string resolve_url(const std::string& base, const std::string& ref);

}  // namespace roux::sources
