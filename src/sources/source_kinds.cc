// The table of source kinds (source_kinds.h): the one place a kind of source is registered.
#include "sources/source_kinds.h"

#include "base/redact.h"
#include "base/strings.h"
#include "sources/git_source.h"

namespace roux::sources {

const std::vector<SourceKind>& source_kinds() {
  static const std::vector<SourceKind> kinds = {
      {"dir", {"dir:"}, "dir:PATH, a folder path", open_dir_url},                       // dir_source.cc
      {"git", {"git+"}, "git+file://, git+https://, git+ssh://", open_git_source},      // git_source.cc
      {"supermarket", {"http://", "https://", "file://"}, "http://, https://, file://",  // supermarket_source.cc
       open_supermarket_source},
  };
  return kinds;
}

std::string supported_source_schemes() {
  std::string out;
  for (const auto& k : source_kinds()) out += (out.empty() ? "" : ", ") + k.help;
  return out;
}

Result<std::unique_ptr<Source>> open_source(const std::string& url, const SourceContext& ctx) {
  for (const auto& kind : source_kinds())
    for (const auto& prefix : kind.prefixes)
      if (starts_with(url, prefix)) return kind.open(url, ctx);
  if (url.find("://") != std::string::npos)
    return Status::unsupported("source " + redact::strip_url_credentials(url) + ": unsupported scheme (supported: " +
                               supported_source_schemes() + ")");
  return open_dir_url(url, ctx);
}

}  // namespace roux::sources
