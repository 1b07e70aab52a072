#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sources/source.h"

namespace roux::sources {

/// One kind of cookbook source: the URL prefixes it answers to, how to open one, and its part of
/// the "supported: ..." list that an unknown scheme's error shows. open_source() goes through
/// source_kinds() in order, so a new kind (say, S3 through its HTTPS API) is one file with its
/// opener and one row in source_kinds.cc.
struct SourceKind {
  const char* name;                    // "dir", "git", "supermarket"
  std::vector<std::string> prefixes;   // matched against the URL in table order
  /// Instead of prefixes, when a kind's URLs have no fixed prefix (scp-style git@host:path).
  bool (*matches)(std::string_view url) = nullptr;
  std::string help;                    // e.g. "git+file://, git+https://, git+ssh://"
  Result<std::unique_ptr<Source>> (*open)(const std::string& url, const SourceContext& ctx) = nullptr;
};

/// Every source kind, in matching order. A URL that no prefix matches is a folder path when it
/// has no "://", else an unsupported scheme.
const std::vector<SourceKind>& source_kinds();

/// "dir:PATH, a folder path, git+file://, ...": every kind's help, in table order.
std::string supported_source_schemes();

/// The folder kind: "dir:PATH" or a plain PATH, relative ones against ctx.base_dir (dir_source.cc).
Result<std::unique_ptr<Source>> open_dir_url(const std::string& url, const SourceContext& ctx);

}  // namespace roux::sources
