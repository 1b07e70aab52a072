// The table of source kinds (source_kinds.h): the one place a kind of source is registered.
#include "sources/source_kinds.h"

#include "base/redact.h"
#include "base/strings.h"
#include "sources/git_source.h"

namespace roux::sources {

const std::vector<SourceKind>& source_kinds() {
  static const std::vector<SourceKind> kinds = {
      {"dir", {"dir:"}, nullptr, "dir:PATH, a folder path", open_dir_url},  // dir_source.cc
      {"git", {}, is_git_source_url, "git+file://, git+https://, git+ssh://, git://, USER@HOST:PATH",
       open_git_source},  // git_source.cc
      {"supermarket", {"http://", "https://", "file://"}, nullptr, "http://, https://, file://",
       open_supermarket_source},  // supermarket_source.cc
  };
  return kinds;
}

std::string supported_source_schemes() {
  std::string out;
  for (const auto& k : source_kinds()) out += (out.empty() ? "" : ", ") + k.help;
  return out;
}

Result<std::unique_ptr<Source>> open_source(const std::string& url, const SourceContext& ctx) {
  for (const auto& kind : source_kinds()) {
    if (kind.matches && kind.matches(url)) return kind.open(url, ctx);
    for (const auto& prefix : kind.prefixes)
      if (starts_with(url, prefix)) return kind.open(url, ctx);
  }
  if (url.find("://") != std::string::npos)
    return Status::unsupported("source " + redact::strip_url_credentials(url) + ": unsupported scheme (supported: " +
                               supported_source_schemes() + ")");
  return open_dir_url(url, ctx);
}

}  // namespace roux::sources
