#pragma once
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/value.h"
#include "engine/verify.h"

namespace roux::compiler {

/// Reads a recipe's `verify:` list (already interpolated and decrypted) into checks:
///   - http: http://127.0.0.1:8080/health    status: 200, contains: "ok"
///   - tcp: 127.0.0.1:5432
///   - command: /usr/local/bin/selftest
///   - file_contains: /etc/app.conf           contains: "listen 8080"
/// each with optional name, timeout (seconds, default 5), retries (default 0) and retry_delay
/// (seconds, default 1). Errors at file:line:col.
void parse_verify_checks(const engine::Value& list, const std::string& cookbook, const std::string& recipe,
                         std::vector<engine::VerifyCheck>* out, std::vector<Status>* errors);

}  // namespace roux::compiler
