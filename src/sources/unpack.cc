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

// `rel` without its first `n` components ("" when it has no more).
std::string strip(const std::string& rel, int n) {
  if (n <= 0 || rel.empty()) return rel;
  auto parts = split(rel, '/');
  if (parts.size() <= size_t(n)) return "";
  return join(std::vector<std::string>(parts.begin() + n, parts.end()), "/");
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

// Checks every entry against the ones before it; writes nothing.
class Walker {
 public:
  Walker(const libs::Archive& lib, const WalkOptions& opts) : lib_(lib), opts_(opts) {}

  Status run(std::string_view data, const std::function<Status(const ArchiveEntry&)>& visit) {
    std::unique_ptr<archive, decltype(lib_.archive_read_free)> a(lib_.archive_read_new(), lib_.archive_read_free);
    lib_.archive_read_support_filter_gzip(a.get());
    lib_.archive_read_support_filter_none(a.get());
    lib_.archive_read_support_format_tar(a.get());
    if (opts_.any_format) {
      lib_.archive_read_support_filter_xz(a.get());
      lib_.archive_read_support_filter_zstd(a.get());
      lib_.archive_read_support_filter_bzip2(a.get());
      lib_.archive_read_support_format_zip(a.get());
    }
    const char* kind = opts_.any_format ? "not a readable archive (tar, tar.gz, tar.xz, tar.zst, tar.bz2, zip): "
                                        : "not a readable tar archive: ";
    if (lib_.archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
      return refuse("", kind + libs::archive_error(lib_, a.get()));
    size_t entries = 0;
    for (;;) {
      archive_entry* e = nullptr;
      int rc = lib_.archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        if (entries == 0) return refuse("", kind + libs::archive_error(lib_, a.get()));
        return refuse("", "corrupt or truncated archive: " + libs::archive_error(lib_, a.get()));
      }
      if (++entries > opts_.limits.max_entries)
        return refuse("", "more than " + std::to_string(opts_.limits.max_entries) + " entries (limit)");
      const char* raw_name = lib_.archive_entry_pathname(e);
      ArchiveEntry out;
      out.name = raw_name ? raw_name : "";
      std::string rel, why;
      if (!normalise(out.name, &rel, &why)) return refuse(out.name, why);
      out.path = strip(rel, opts_.strip_components);
      ROUX_TRY(entry(a.get(), e, out));
      if (!out.path.empty()) ROUX_TRY(visit(out));
    }
    return Status::ok();
  }

 private:
  Status refuse(const std::string& entry, const std::string& why) const {
    return Status::untrusted(opts_.what + ": unsafe archive refused: " + (entry.empty() ? "" : "entry \"" + entry + "\": ") +
                             why + "; nothing was unpacked");
  }

  bool taken(const std::string& rel) const { return dirs_.count(rel) || files_.count(rel) || links_.count(rel); }

  // No parent of `rel` may be a symlink or a file the archive made (writing through a link
  // would escape); the parents become folders.
  Status check_parents(const std::string& raw, const std::string& rel) {
    auto parts = split(rel, '/');
    std::string prefix;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += (prefix.empty() ? "" : "/") + parts[i];
      if (links_.count(prefix)) return refuse(raw, "would be written through symlink \"" + prefix + "\"");
      if (files_.count(prefix)) return refuse(rel, "a parent of it is not a folder");
      dirs_.insert(prefix);
    }
    return Status::ok();
  }

  Status entry(archive* a, archive_entry* e, ArchiveEntry& out) {
    const std::string& raw = out.name;
    const std::string& rel = out.path;
    mode_t type = lib_.archive_entry_filetype(e);
    out.perm = lib_.archive_entry_perm(e) & 0777;
    const char* hard = lib_.archive_entry_hardlink(e);
    if (hard) {
      std::string target, why;
      if (!normalise(hard, &target, &why)) return refuse(raw, "hard link target: " + why);
      target = strip(target, opts_.strip_components);
      if (target.empty() || !files_.count(target))
        return refuse(raw, "hard link to \"" + std::string(hard) + "\", not an earlier file of the archive");
      if (rel.empty()) return Status::ok();
      ROUX_TRY(check_parents(raw, rel));
      if (taken(rel)) return refuse(raw, "duplicate entry");
      files_.insert(rel);
      out.kind = ArchiveEntry::Kind::kHardlink;
      out.target = target;
      return Status::ok();
    }
    switch (type) {
      case AE_IFDIR:
        if (rel.empty()) return Status::ok();  // "./"
        ROUX_TRY(check_parents(raw, rel));
        if (files_.count(rel) || links_.count(rel)) return refuse(raw, "duplicate entry");
        dirs_.insert(rel);
        out.kind = ArchiveEntry::Kind::kDir;
        return Status::ok();
      case AE_IFLNK: {
        const char* t = lib_.archive_entry_symlink(e);
        out.target = t ? t : "";
        if (rel.empty()) return Status::ok();
        if (!link_stays_inside(rel, out.target))
          return refuse(raw, "symlink to \"" + out.target + "\" points outside " + opts_.inside);
        ROUX_TRY(check_parents(raw, rel));
        if (taken(rel)) return refuse(raw, "duplicate entry");
        links_.insert(rel);
        out.kind = ArchiveEntry::Kind::kSymlink;
        return Status::ok();
      }
      case AE_IFREG:
        return regular(a, e, out);
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

  Status regular(archive* a, archive_entry* e, ArchiveEntry& out) {
    const std::string& raw = out.name;
    const std::string& rel = out.path;
    const uint64_t max = opts_.limits.max_bytes;
    int64_t declared = lib_.archive_entry_size(e);
    // A zip entry may not declare its size (streamed): then only what is read counts.
    bool sized = lib_.archive_entry_size_is_set(e) != 0;
    if (sized && (declared < 0 || uint64_t(declared) > max - std::min(bytes_, max)))
      return refuse(raw, "unpacked size would exceed the limit of " + std::to_string(max) + " bytes");
    if (!rel.empty()) {
      ROUX_TRY(check_parents(raw, rel));
      if (taken(rel)) return refuse(raw, "duplicate entry");
    }
    char buf[65536];
    uint64_t written = 0;
    for (;;) {
      la_ssize_t n = lib_.archive_read_data(a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) return refuse(raw, "corrupt or truncated archive: " + libs::archive_error(lib_, a));
      bytes_ += uint64_t(n);
      written += uint64_t(n);
      if (bytes_ > max) return refuse(raw, "unpacked size exceeds the limit of " + std::to_string(max) + " bytes");
      if (!rel.empty()) out.content.append(buf, size_t(n));
    }
    if (sized && written != uint64_t(declared))
      return refuse(raw, "corrupt or truncated archive: " + std::to_string(written) + " of " +
                             std::to_string(declared) + " bytes");
    if (rel.empty()) return Status::ok();
    files_.insert(rel);
    out.kind = ArchiveEntry::Kind::kFile;
    return Status::ok();
  }

  const libs::Archive& lib_;
  const WalkOptions& opts_;
  uint64_t bytes_ = 0;
  std::set<std::string> dirs_, links_, files_;
};

// Writes the entries walk_archive accepted below `tmp` (a fresh folder of this process).
class FolderWriter {
 public:
  explicit FolderWriter(std::string tmp) : tmp_(std::move(tmp)) {}

  Status write(const ArchiveEntry& e) {
    std::string path = tmp_ + "/" + e.path;
    ROUX_TRY(make_parents(e.path));
    switch (e.kind) {
      case ArchiveEntry::Kind::kDir:
        if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Status::io("mkdir " + path, errno);
        dir_modes_.emplace_back(path, e.perm | 0700);
        return Status::ok();
      case ArchiveEntry::Kind::kSymlink:
        if (::symlink(e.target.c_str(), path.c_str()) != 0) return Status::io("symlink " + path, errno);
        return Status::ok();
      case ArchiveEntry::Kind::kHardlink: {
        std::error_code ec;
        fs::copy_file(tmp_ + "/" + e.target, path, ec);
        if (ec) return Status::io("copy " + e.target + " to " + path, ec.value());
        return Status::ok();
      }
      case ArchiveEntry::Kind::kFile:
        break;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Status::io("create " + path, errno);
    for (size_t off = 0; off < e.content.size();) {
      ssize_t w = ::write(fd, e.content.data() + off, e.content.size() - off);
      if (w < 0) {
        int err = errno;
        ::close(fd);
        return Status::io("write " + path, err);
      }
      off += size_t(w);
    }
    if (::fchmod(fd, e.perm) != 0 || ::close(fd) != 0) return Status::io("close " + path, errno);
    return Status::ok();
  }

  // Directory modes last, deepest first, so a read-only folder does not block its own content.
  Status finish() {
    for (auto it = dir_modes_.rbegin(); it != dir_modes_.rend(); ++it)
      if (::chmod(it->first.c_str(), it->second) != 0) return Status::io("chmod " + it->first, errno);
    return Status::ok();
  }

 private:
  Status make_parents(const std::string& rel) {
    auto parts = split(rel, '/');
    std::string p = tmp_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      p += "/" + parts[i];
      if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return Status::io("mkdir " + p, errno);
    }
    return Status::ok();
  }

  std::string tmp_;
  std::vector<std::pair<std::string, mode_t>> dir_modes_;
};

}  // namespace

Status walk_archive(std::string_view data, const WalkOptions& options,
                    const std::function<Status(const ArchiveEntry&)>& visit) {
  ROUX_ASSIGN_OR_RETURN(const libs::Archive* lib, libs::archive());
  Walker w(*lib, options);
  return w.run(data, visit);
}

Status unpack_archive(std::string_view data, const std::string& dest, const std::string& what,
                      const UnpackLimits& limits) {
  WalkOptions opts;
  opts.limits = limits;
  opts.what = what;
  // Checked whole before a byte is written.
  ROUX_TRY(walk_archive(data, opts, [](const ArchiveEntry&) { return Status::ok(); }));
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec))) return Status::conflict(dest + " already exists");
  fs::path parent = fs::path(dest).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Status::io("mkdir " + parent.string(), ec.value());
  std::string tmp = dest + ".unpack-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  if (::mkdir(tmp.c_str(), 0700) != 0) return Status::io("mkdir " + tmp, errno);
  FolderWriter writer(tmp);
  Status s = walk_archive(data, opts, [&](const ArchiveEntry& e) { return writer.write(e); });
  if (s.is_ok()) s = writer.finish();
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
