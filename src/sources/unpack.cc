#include "sources/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "base/strings.h"
#include "libs/archive_api.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

// A normalised relative path ("a/b/c"), or an error text when the name is not acceptable.
bool normalise(std::string_view raw, std::string* out, std::string* why) {
  if (raw.empty()) return *why = "empty path", false;
  if (raw[0] == '/') return *why = "absolute path", false;
  std::vector<std::string> parts;
  for (const auto& p : split(raw, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") return *why = "path contains \"..\"", false;
    parts.push_back(p);
  }
  if (parts.empty()) return out->clear(), true;  // "./" itself
  *out = join(parts, "/");
  return true;
}

// Whether a symlink at `link_path` (relative to the root) with `target` stays inside the root.
// ".." is allowed only as leading components (they climb real folders: no entry is ever written
// through a symlink); after a name, ".." could climb out of a symlinked folder, so it is refused.
bool link_stays_inside(const std::string& link_path, std::string_view target) {
  if (target.empty() || target[0] == '/') return false;
  std::vector<std::string> stack = split(link_path, '/');
  stack.pop_back();  // the link's own name
  bool descended = false;
  for (const auto& p : split(target, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (descended || stack.empty()) return false;
      stack.pop_back();
    } else {
      descended = true;
      stack.push_back(p);
    }
  }
  return true;
}

class Unpacker {
 public:
  Unpacker(const libs::Archive& lib, std::string tmp, std::string what, const UnpackLimits& limits)
      : lib_(lib), tmp_(std::move(tmp)), what_(std::move(what)), limits_(limits) {}

  Status run(std::string_view data) {
    std::unique_ptr<archive, decltype(lib_.archive_read_free)> a(lib_.archive_read_new(), lib_.archive_read_free);
    lib_.archive_read_support_filter_gzip(a.get());
    lib_.archive_read_support_filter_none(a.get());
    lib_.archive_read_support_format_tar(a.get());
    if (lib_.archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
      return refuse("", "not a readable tar archive: " + libs::archive_error(lib_, a.get()));
    size_t entries = 0;
    for (;;) {
      archive_entry* e = nullptr;
      int rc = lib_.archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
        return refuse("", "corrupt or truncated archive: " + libs::archive_error(lib_, a.get()));
      if (++entries > limits_.max_entries)
        return refuse("", "more than " + std::to_string(limits_.max_entries) + " entries (limit)");
      const char* raw_name = lib_.archive_entry_pathname(e);
      std::string raw = raw_name ? raw_name : "", rel, why;
      if (!normalise(raw, &rel, &why)) return refuse(raw, why);
      ROUX_TRY(check_parents(raw, rel));
      ROUX_TRY(entry(a.get(), e, raw, rel));
    }
    return Status::ok();
  }

 private:
  Status refuse(const std::string& entry, const std::string& why) const {
    return Status::untrusted(what_ + ": unsafe archive refused: " + (entry.empty() ? "" : "entry \"" + entry + "\": ") +
                             why + "; nothing was unpacked");
  }

  // No parent of `rel` may be a symlink the archive made (writing through it would escape).
  Status check_parents(const std::string& raw, const std::string& rel) const {
    std::string prefix;
    for (const auto& p : split(rel, '/')) {
      if (!prefix.empty() && links_.count(prefix)) return refuse(raw, "would be written through symlink \"" + prefix + "\"");
      prefix += (prefix.empty() ? "" : "/") + p;
    }
    return Status::ok();
  }

  Status entry(archive* a, archive_entry* e, const std::string& raw, const std::string& rel) {
    mode_t type = lib_.archive_entry_filetype(e);
    mode_t perm = lib_.archive_entry_perm(e) & 0777;
    std::string path = tmp_ + "/" + rel;
    const char* hard = lib_.archive_entry_hardlink(e);
    if (hard) {
      std::string target, why;
      if (!normalise(hard, &target, &why)) return refuse(raw, "hard link target: " + why);
      if (!files_.count(target)) return refuse(raw, "hard link to \"" + std::string(hard) + "\", not an earlier file of the archive");
      ROUX_TRY(make_parents(rel));
      std::error_code ec;
      fs::copy_file(tmp_ + "/" + target, path, ec);
      if (ec) return refuse(raw, "cannot create: " + ec.message());
      files_.insert(rel);
      return Status::ok();
    }
    if (rel.empty()) return Status::ok();  // "./"
    switch (type) {
      case AE_IFDIR: {
        ROUX_TRY(make_parents(rel));
        if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Status::io("mkdir " + path, errno);
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return refuse(raw, "duplicate entry");
        dir_modes_.emplace_back(path, perm | 0700);
        return Status::ok();
      }
      case AE_IFLNK: {
        const char* t = lib_.archive_entry_symlink(e);
        std::string target = t ? t : "";
        if (!link_stays_inside(rel, target)) return refuse(raw, "symlink to \"" + target + "\" points outside the cookbook");
        ROUX_TRY(make_parents(rel));
        if (::symlink(target.c_str(), path.c_str()) != 0)
          return errno == EEXIST ? refuse(raw, "duplicate entry") : Status::io("symlink " + path, errno);
        links_.insert(rel);
        return Status::ok();
      }
      case AE_IFREG:
        return regular(a, e, raw, rel, path, perm);
      case AE_IFCHR:
      case AE_IFBLK:
        return refuse(raw, "device files are not allowed");
      case AE_IFIFO:
        return refuse(raw, "FIFOs are not allowed");
      case AE_IFSOCK:
        return refuse(raw, "sockets are not allowed");
      default:
        return refuse(raw, "unsupported entry type");
    }
  }

  Status regular(archive* a, archive_entry* e, const std::string& raw, const std::string& rel, const std::string& path,
                 mode_t perm) {
    int64_t declared = lib_.archive_entry_size(e);
    if (declared < 0 || uint64_t(declared) > limits_.max_bytes - std::min(bytes_, limits_.max_bytes))
      return refuse(raw, "unpacked size would exceed the limit of " + std::to_string(limits_.max_bytes) + " bytes");
    ROUX_TRY(make_parents(rel));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? refuse(raw, "duplicate entry") : Status::io("create " + path, errno);
    char buf[65536];
    uint64_t written = 0;
    for (;;) {
      la_ssize_t n = lib_.archive_read_data(a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        ::close(fd);
        return refuse(raw, "corrupt or truncated archive: " + libs::archive_error(lib_, a));
      }
      bytes_ += uint64_t(n);
      written += uint64_t(n);
      if (bytes_ > limits_.max_bytes) {
        ::close(fd);
        return refuse(raw, "unpacked size exceeds the limit of " + std::to_string(limits_.max_bytes) + " bytes");
      }
      for (la_ssize_t off = 0; off < n;) {
        ssize_t w = ::write(fd, buf + off, size_t(n - off));
        if (w < 0) {
          int err = errno;
          ::close(fd);
          return Status::io("write " + path, err);
        }
        off += w;
      }
    }
    if (written != uint64_t(declared)) {
      ::close(fd);
      return refuse(raw, "corrupt or truncated archive: " + std::to_string(written) + " of " +
                             std::to_string(declared) + " bytes");
    }
    if (::fchmod(fd, perm) != 0 || ::close(fd) != 0) return Status::io("close " + path, errno);
    files_.insert(rel);
    return Status::ok();
  }

  Status make_parents(const std::string& rel) {
    auto parts = split(rel, '/');
    std::string p = tmp_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      p += "/" + parts[i];
      if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return Status::io("mkdir " + p, errno);
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return refuse(rel, "a parent of it is not a folder");
    }
    return Status::ok();
  }

 public:
  // Directory modes last, deepest first, so a read-only folder does not block its own content.
  Status finish() {
    for (auto it = dir_modes_.rbegin(); it != dir_modes_.rend(); ++it)
      if (::chmod(it->first.c_str(), it->second) != 0) return Status::io("chmod " + it->first, errno);
    return Status::ok();
  }

 private:
  const libs::Archive& lib_;
  std::string tmp_, what_;
  UnpackLimits limits_;
  uint64_t bytes_ = 0;
  std::set<std::string> links_, files_;
  std::vector<std::pair<std::string, mode_t>> dir_modes_;
};

}  // namespace

Status unpack_archive(std::string_view data, const std::string& dest, const std::string& what,
                      const UnpackLimits& limits) {
  ROUX_ASSIGN_OR_RETURN(const libs::Archive* lib, libs::archive());
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec))) return Status::conflict(dest + " already exists");
  fs::path parent = fs::path(dest).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Status::io("mkdir " + parent.string(), ec.value());
  std::string tmp = dest + ".unpack-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  if (::mkdir(tmp.c_str(), 0700) != 0) return Status::io("mkdir " + tmp, errno);
  Unpacker u(*lib, tmp, what, limits);
  Status s = u.run(data);
  if (s.is_ok()) s = u.finish();
  if (s.is_ok() && ::chmod(tmp.c_str(), 0755) != 0) s = Status::io("chmod " + tmp, errno);
  if (s.is_ok() && ::rename(tmp.c_str(), dest.c_str()) != 0) {
    // Another run may have unpacked the same content first; that copy is as good as ours.
    int e = errno;
    if (!((e == EEXIST || e == ENOTEMPTY) && fs::is_directory(dest, ec))) s = Status::io("rename " + tmp + " to " + dest, e);
  }
  if (fs::exists(tmp, ec)) {
    // Restore write permission on folders before removal, in case a mode dropped it.
    for (auto it = fs::recursive_directory_iterator(tmp, fs::directory_options::none, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    ::chmod(tmp.c_str(), 0700);
    fs::remove_all(tmp, ec);
  }
  return s;
}

}  // namespace roux::sources
