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

Result<std::string> Cache::path_for(const std::string& digest) const {
  if (!is_hex_digest(digest)) return Status::invalid_input("invalid cookbook digest \"" + digest + "\"");
  std::string path = root_ + "/cookbooks/" + digest;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return Status::not_found("cache has no cookbook with digest " + digest);
  return path;
}

Result<std::string> Cache::make_temp_dir() const {
  std::error_code ec;
  fs::create_directories(root_ + "/tmp", ec);
  if (ec) return Status::io("create " + root_ + "/tmp", ec.value());
  std::string templ = root_ + "/tmp/work-XXXXXX";
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
  fs::create_directories(root_ + "/cookbooks", ec);
  if (ec) {
    fs::remove_all(tmp_dir, ec);
    return Status::io("create " + root_ + "/cookbooks", ec.value());
  }
  std::string dest = root_ + "/cookbooks/" + *digest;
  if (::rename(tmp_dir.c_str(), dest.c_str()) != 0) {
    int err = errno;
    fs::remove_all(tmp_dir, ec);
    // Already there (ENOTEMPTY/EEXIST): same digest, same content; keep the existing copy.
    if (err != ENOTEMPTY && err != EEXIST) return Status::io("rename into " + dest, err);
  }
  return *digest;
}

Status Cache::verify(const std::string& digest) const {
  ROUX_ASSIGN_OR_RETURN(std::string path, path_for(digest));
  ROUX_ASSIGN_OR_RETURN(std::string got, content_digest(path));
  if (got != digest)
    return Status::untrusted("cache content for " + digest + " does not match its digest (got " + got + ")");
  return Status::ok();
}

}  // namespace roux::sources
