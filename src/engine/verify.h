#pragma once
#include <string>
#include <vector>

#include "base/source_location.h"
#include "engine/resource.h"
#include "host/host.h"

namespace roux::engine {

/// A check a recipe declares under `verify:`, run after converge (and by `roux verify`) to prove
/// the host works, not only that it matches. The compiler fills these; the engine runs them.
/// Plain data.
struct VerifyCheck {
  enum class Kind { kHttp, kTcp, kCommand, kFileContains };
  Kind kind = Kind::kCommand;
  std::string name;          // "http[http://127.0.0.1:8080/health]" unless the recipe names it
  std::string target;        // URL | host:port | shell command | absolute path
  int expect_status = 200;   // http
  std::string contains;      // http body or file content must contain this ("" = no check)
  int timeout_ms = 5000;     // per attempt
  int retries = 0;           // extra attempts after a failure
  int retry_delay_ms = 1000;
  bool sensitive = false;    // a secret flowed into it: the target is not shown
  SourceLocation where;
  std::string cookbook, recipe;
};

/// What one check did. `status` is "passed", "failed" or, in plan, "planned" (listed, not run).
struct VerifyResult {
  std::string name, kind, target;
  std::string status;
  int attempts = 0;
  double duration_ms = 0;
  std::string message;       // why it failed ("status 500, want 200"), or "" when it passed
  std::string where;         // file:line:col of the declaration
};

const char* verify_kind_name(VerifyCheck::Kind kind);

/// Runs one check with its retries; never throws, never changes the host (commands run through
/// Host::run_check, files are read through the host's root). Blocks at most about
/// (retries + 1) * (timeout + retry_delay).
VerifyResult run_verify_check(const VerifyCheck& check, const host::Host& host);

/// Runs every check in order (kApply), or lists them as "planned" (kPlan).
std::vector<VerifyResult> run_verify(const std::vector<VerifyCheck>& checks, const host::Host& host, Mode mode);

}  // namespace roux::engine
