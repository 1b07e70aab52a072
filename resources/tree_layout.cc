#include "resources/tree_layout.h"

#include "base/log.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace roux::resources {
namespace {

using sources::ArchiveEntry;
using Kind = ArchiveEntry::Kind;

constexpr size_t kListedEntries = 100;  // entries named in detail(); the rest are counted

ArchiveEntry implicit_dir(const std::string& rel) {
  ArchiveEntry dir;
  dir.kind = Kind::kDir;
  dir.path = rel;
  dir.perm = 0755;
  return dir;
}

}  // namespace

template <class F>
Status TreeLayout::each_parent(const std::string& rel, F&& f) {
  for (size_t p = rel.find('/'); p != std::string::npos; p = rel.find('/', p + 1)) ROUX_TRY(f(rel.substr(0, p)));
  return Status::ok();
}

Status TreeLayout::decide(const host::Host& host, const ArchiveEntry& e, bool dest_new) {
  ROUX_TRY(each_parent(e.path, [&](const std::string& prefix) {
    return actions_.count(prefix) ? Status::ok() : decide_one(host, implicit_dir(prefix), dest_new, true);
  }));
  return decide_one(host, e, dest_new, false);
}

Status TreeLayout::decide_one(const host::Host& host, const ArchiveEntry& e, bool dest_new, bool implicit) {
  if (e.kind == Kind::kFile) file_sha_[e.path] = sha256_hex(e.content);
  if (actions_.count(e.path)) return Status::ok();  // a folder listed after its content
  Action a = Action::kCreate;
  std::string was;
  bool known = false;
  if (!dest_new && !under_fresh(e.path)) {
    const std::string path = path_of(e.path);
    host::FileInfo live;
    bool same_content = false;
    if (e.kind == Kind::kFile) {
      ROUX_ASSIGN_OR_RETURN(live, host.lstat_compare(path, &e.content, &same_content));
    } else {
      ROUX_ASSIGN_OR_RETURN(live, host.lstat(path));
    }
    if (live.exists()) {
      was = host::file_type_name(live.type);
      a = Action::kReplace;
      switch (e.kind) {
        case Kind::kDir:
          if (live.type == host::FileType::kDirectory) a = implicit ? Action::kSame : attrs_of(live, e.perm);
          break;
        case Kind::kFile:
          if (live.type == host::FileType::kFile && same_content) a = attrs_of(live, e.perm);
          break;
        case Kind::kHardlink:
          if (live.type == host::FileType::kFile) {
            ROUX_ASSIGN_OR_RETURN(std::string have, host.file_sha256(path));
            if (have == file_sha_[e.target]) a = attrs_of(live, live.mode & 0777);
          }
          break;
        case Kind::kSymlink:
          if (live.type == host::FileType::kSymlink) {
            ROUX_ASSIGN_OR_RETURN(std::string t, host.readlink(path));
            if (t == e.target) a = Action::kSame;
          }
          break;
      }
      if (a == Action::kReplace && live.type == host::FileType::kFile) {
        auto k = known_.find(e.path);
        if (k != known_.end()) {
          ROUX_ASSIGN_OR_RETURN(std::string have, host.file_sha256(path));
          known = have == k->second;
        }
      }
    }
  }
  if (e.kind == Kind::kHardlink) file_sha_[e.path] = file_sha_[e.target];
  if (e.kind == Kind::kDir && (a == Action::kCreate || a == Action::kReplace)) fresh_.insert(e.path);
  actions_[e.path] = a;
  const char* kind = e.kind == Kind::kDir ? "folder" : e.kind == Kind::kSymlink ? "link" : "file";
  switch (a) {
    case Action::kSame:
      ++same_;
      break;
    case Action::kCreate:
      ++created_;
      add_line("+ " + e.path + " (" + kind + ")");
      break;
    case Action::kReplace:
      ++replaced_;
      if (!known) conflicts_.push_back(path_of(e.path) + " (" + was + ")");
      add_line("~ " + e.path + " (" + kind + ", replaces a " + (known ? "file of the previous version" : was) + ")");
      break;
    case Action::kAttrs:
      ++attrs_;
      add_line("* " + e.path + " (mode or owner)");
      break;
  }
  return Status::ok();
}

TreeLayout::Action TreeLayout::attrs_of(const host::FileInfo& live, uint32_t perm) const {
  bool differs = (live.mode & 07777) != perm || (uid_ && *uid_ != live.uid) || (gid_ && *gid_ != live.gid);
  return differs ? Action::kAttrs : Action::kSame;
}

bool TreeLayout::under_fresh(const std::string& rel) const {
  for (size_t p = rel.find('/'); p != std::string::npos; p = rel.find('/', p + 1))
    if (fresh_.count(rel.substr(0, p))) return true;
  return false;
}

void TreeLayout::add_line(std::string text) {
  if (lines_.size() < kListedEntries) lines_.push_back(std::move(text));
}

std::string TreeLayout::summary() const {
  return std::to_string(created_) + " created, " + std::to_string(replaced_) + " replaced, " + std::to_string(attrs_) +
         " mode/owner, " + std::to_string(same_) + " unchanged";
}

std::string TreeLayout::detail() const {
  std::string out;
  for (const auto& l : lines_) out += l + "\n";
  size_t listed = created_ + replaced_ + attrs_ + extra_;
  if (listed > lines_.size()) out += "... and " + std::to_string(listed - lines_.size()) + " more\n";
  return out;
}

Status TreeLayout::write(host::Host& h, const ArchiveEntry& e) {
  ROUX_TRY(each_parent(e.path, [&](const std::string& prefix) {
    return done_.count(prefix) ? Status::ok() : write_one(h, implicit_dir(prefix));
  }));
  return write_one(h, e);
}

Status TreeLayout::write_one(host::Host& h, const ArchiveEntry& e) {
  if (!done_.insert(e.path).second) return Status::ok();
  auto it = actions_.find(e.path);
  Action a = it == actions_.end() ? Action::kCreate : it->second;
  if (a == Action::kSame) return Status::ok();
  const std::string path = path_of(e.path);
  if (a == Action::kReplace) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, h.lstat(path));
    if (live.type == host::FileType::kDirectory) ROUX_TRY(h.remove_tree(path));
    else if (live.exists()) ROUX_TRY(h.remove(path));
  }
  const bool create = a != Action::kAttrs;
  switch (e.kind) {
    case Kind::kDir:
      // Made writable first; its own mode is set by finish(), after its content.
      if (create) ROUX_TRY(h.mkdir(path, e.perm | 0700));
      ROUX_TRY(own(h, path));
      dir_modes_.emplace_back(path, e.perm);
      return Status::ok();
    case Kind::kSymlink:
      return h.symlink(e.target, path);  // a link keeps the owner it is made with
    case Kind::kFile:
      if (create) return h.write_file(path, e.content, e.perm, uid_, gid_);
      ROUX_TRY(own(h, path));
      return h.chmod(path, e.perm);
    case Kind::kHardlink: {
      // A copy of the earlier file (already on the host: written above, or the same there).
      const std::string from = path_of(e.target);
      ROUX_ASSIGN_OR_RETURN(host::FileInfo src, h.lstat(from));
      if (!create) return own(h, path);
      ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(from, size_t(max_bytes_)));
      return h.write_file(path, text, src.mode & 0777, uid_, gid_);
    }
  }
  return Status::ok();
}

Status TreeLayout::own(host::Host& h, const std::string& path) const {
  return uid_ || gid_ ? h.chown(path, uid_, gid_) : Status::ok();
}

Status TreeLayout::finish(host::Host& h) {
  for (auto it = dir_modes_.rbegin(); it != dir_modes_.rend(); ++it) ROUX_TRY(h.chmod(it->first, it->second));
  return Status::ok();
}

Status check_dest_parent(const host::Host& host, const std::string& dest) {
  std::string parent = host::parent_path(dest);
  ROUX_ASSIGN_OR_RETURN(host::FileInfo p, host.lstat(parent));
  if (p.type == host::FileType::kDirectory || p.type == host::FileType::kSymlink) return Status::ok();
  if (p.exists()) return Status::conflict("parent " + parent + " is a " + host::file_type_name(p.type) + ", not a folder");
  return Status::not_found("parent folder " + parent + " does not exist (declare it with a directory resource)");
}

Result<std::string> non_folder_above(const host::Host& host, const std::string& dest, const std::string& rel) {
  for (size_t p = rel.find('/'); p != std::string::npos; p = rel.find('/', p + 1)) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo up, host.lstat(dest + "/" + rel.substr(0, p)));
    if (up.exists() && up.type != host::FileType::kDirectory) return rel.substr(0, p);
  }
  return std::string();
}

bool recorded_entry_inside(const std::string& record, size_t line, const std::string& dest, const std::string& rel) {
  auto norm = host::normalize_path("/" + rel);
  if (!rel.empty() && norm.is_ok() && *norm == "/" + rel) return true;
  log::warn(record + ":" + std::to_string(line) + ": entry \"" + escape_controls(one_line(rel, 80)) +
            "\" is not a path inside " + dest + ": ignored (nothing outside the folder is removed)");
  return false;
}

}  // namespace roux::resources
