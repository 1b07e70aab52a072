#include "sources/cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/sha256.h"
#include "sources/local_file.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

bool is_hex_digest(const std::string& d) {
  return d.size() == 64 && d.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Result<std::string> file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io("open " + path, errno);
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return Status::io("read " + path, errno);
  return h.hex_digest();
}

}  // namespace

Result<std::string> content_digest(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::not_found("cookbook folder " + dir + " does not exist");
  std::vector<std::string> rels;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    rels.push_back(fs::relative(it->path(), dir).generic_string());
  }
  if (ec) return Status::io("read " + dir, ec.value());
  std::sort(rels.begin(), rels.end());
  Sha256 manifest;
  for (const auto& rel : rels) {
    std::string full = dir + "/" + rel;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0) return Status::io("stat " + full, errno);
    if (S_ISDIR(st.st_mode)) continue;
    if (S_ISLNK(st.st_mode)) {
      std::string target = fs::read_symlink(full, ec).string();
      if (ec) return Status::io("readlink " + full, ec.value());
      manifest.update("link " + target + " " + rel + "\n");
    } else if (S_ISREG(st.st_mode)) {
      ROUX_ASSIGN_OR_RETURN(std::string sum, file_sha256(full));
      manifest.update(std::string("file ") + ((st.st_mode & 0111) ? "0755" : "0644") + " " + sum + " " + rel + "\n");
    } else {
      return Status::invalid_input(full + ": not a regular file, folder or symlink");
    }
  }
  return manifest.hex_digest();
}

Cache::Cache(std::string root, std::string confine_root) : root_(std::move(root)) {
  if (!confine_root.empty() && confine_root != "/") {
    while (confine_root.size() > 1 && confine_root.back() == '/') confine_root.pop_back();
    confine_root_ = confine_root;
    // in_root_ stays "" (every use fails) when root_ is not lexically inside confine_root.
    if (root_.compare(0, confine_root.size() + 1, confine_root + "/") == 0) in_root_ = root_.substr(confine_root.size());
  }
}

Result<std::string> Cache::subdir(const std::string& name, bool create) const {
  if (confine_root_.empty()) {
    std::string dir = root_ + "/" + name;
    if (create) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return Status::io("create " + dir, ec.value());
    }
    return dir;
  }
  if (in_root_.empty()) return Status::internal("cache " + root_ + " is not inside the root " + confine_root_);
  return confined_dir(confine_root_, in_root_ + "/" + name, create);
}

Result<std::string> Cache::path_for(const std::string& digest) const {
  if (!is_hex_digest(digest)) return Status::invalid_input("invalid cookbook digest \"" + digest + "\"");
  ROUX_ASSIGN_OR_RETURN(std::string dir, subdir("cookbooks", false));
  std::string path = dir + "/" + digest;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Status::not_found("cache has no cookbook with digest " + digest);
  // The cache makes its entries by renaming folders in; a link there was planted.
  if (!S_ISDIR(st.st_mode))
    return Status::untrusted("cache entry " + path + " is not a folder (a symlink or a file was put there); refusing it");
  return path;
}

Result<std::string> Cache::verified_path(const std::string& digest) const {
  ROUX_ASSIGN_OR_RETURN(std::string path, path_for(digest));
  ROUX_ASSIGN_OR_RETURN(std::string got, content_digest(path));
  if (got != digest)
    return Status::untrusted("cache entry " + path + " does not match its digest (its content hashes to " + got +
                             "): altered or planted; refusing it");
  return path;
}

Result<std::string> Cache::make_temp_dir() const {
  ROUX_ASSIGN_OR_RETURN(std::string dir, subdir("tmp", true));
  std::string templ = dir + "/work-XXXXXX";
  if (!::mkdtemp(templ.data())) return Status::io("mkdtemp " + templ, errno);
  return templ;
}

Result<std::string> Cache::insert_dir(const std::string& tmp_dir) {
  std::error_code ec;
  auto digest = content_digest(tmp_dir);
  if (!digest.is_ok()) {
    fs::remove_all(tmp_dir, ec);
    return digest.status();
  }
  auto dir = subdir("cookbooks", true);
  if (!dir.is_ok()) {
    fs::remove_all(tmp_dir, ec);
    return dir.status();
  }
  std::string dest = *dir + "/" + *digest;
  for (int attempt = 0;; ++attempt) {
    if (::rename(tmp_dir.c_str(), dest.c_str()) == 0) return *digest;
    int err = errno;
    if ((err != ENOTEMPTY && err != EEXIST && err != ENOTDIR) || attempt > 0) {
      fs::remove_all(tmp_dir, ec);
      return Status::io("rename into " + dest, err);
    }
    // Already there: the same digest is the same content, unless someone put it there by hand.
    if (verified_path(*digest).is_ok()) {
      fs::remove_all(tmp_dir, ec);
      return *digest;
    }
    // Altered or planted: move it aside (rename moves a link itself, never its target) and retry.
    std::string aside = tmp_dir + ".bad";
    if (::rename(dest.c_str(), aside.c_str()) != 0) {
      err = errno;
      fs::remove_all(tmp_dir, ec);
      return Status::io("move aside the altered cache entry " + dest, err);
    }
    fs::remove_all(aside, ec);
  }
}

Status Cache::verify(const std::string& digest) const { return verified_path(digest).status(); }

}  // namespace roux::sources
