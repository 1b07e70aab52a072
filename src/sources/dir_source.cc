#include <algorithm>
#include <filesystem>

#include "base/strings.h"
#include "sources/metadata.h"
#include "sources/source.h"
#include "sources/source_kinds.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

class DirSource final : public Source {
 public:
  explicit DirSource(std::string path) : path_(std::move(path)), url_("dir:" + path_) {}
  const std::string& url() const override { return url_; }

  Result<std::vector<CookbookRef>> universe() override {
    if (scanned_) return refs_;
    std::error_code ec;
    std::vector<std::string> dirs;
    if (fs::exists(path_ + "/metadata.yaml", ec)) {
      dirs.push_back(path_);
    } else {
      for (const auto& e : fs::directory_iterator(path_, ec)) {
        std::error_code entry_ec;  // a symlink loop among the folders (ELOOP) is skipped, never thrown
        if (e.is_directory(entry_ec) && fs::exists(e.path() / "metadata.yaml", entry_ec)) dirs.push_back(e.path().string());
      }
      if (ec) return Status::io("read source folder " + path_, ec.value());
      std::sort(dirs.begin(), dirs.end());
    }
    for (const auto& d : dirs) {
      ROUX_ASSIGN_OR_RETURN(Metadata md, read_metadata(d));
      CookbookRef ref{md.name, md.version, md.depends, url_, "", ""};
      refs_.push_back(ref);
      where_[md.name + "@" + md.version.to_string()] = d;
    }
    scanned_ = true;
    return refs_;
  }

  Result<std::string> fetch(const CookbookRef& ref) override {
    ROUX_TRY(universe().status());
    auto it = where_.find(ref.name + "@" + ref.version.to_string());
    if (it == where_.end())
      return Status::not_found(url_ + ": no cookbook " + ref.name + " " + ref.version.to_string());
    return it->second;
  }

 private:
  std::string path_, url_;
  bool scanned_ = false;
  std::vector<CookbookRef> refs_;
  std::map<std::string, std::string> where_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_dir_source(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return Status::not_found("source folder " + path + " does not exist");
  return std::unique_ptr<Source>(new DirSource(fs::weakly_canonical(path).string()));
}

Result<std::unique_ptr<Source>> open_dir_url(const std::string& url, const SourceContext& ctx) {
  std::string path = starts_with(url, "dir:") ? url.substr(4) : url;
  if (!path.empty() && path[0] != '/') path = ctx.base_dir + "/" + path;
  return open_dir_source(path);
}

}  // namespace roux::sources
