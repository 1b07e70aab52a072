#include "sources/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

#include "sources/local_file.h"
#include "sources/supermarket.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string data;       // content, or symlink / hardlink target
  bool hardlink = false;
  int64_t declared = -1;  // header size when it differs from data (truncated archives)
};

la_ssize_t append(archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return la_ssize_t(n);
}

std::string make_tar(const std::vector<Entry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  archive_write_open(a, &out, nullptr, append, nullptr);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, 0644);
    if (e.hardlink) archive_entry_set_hardlink(ae, e.data.c_str());
    else if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.data.c_str());
    else if (e.type == AE_IFREG) archive_entry_set_size(ae, e.declared >= 0 ? e.declared : int64_t(e.data.size()));
    archive_write_header(a, ae);
    if (e.type == AE_IFREG && !e.hardlink) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

struct Dir {
  std::string path;
  Dir() {
    char t[] = "/tmp/roux-unpack-test.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~Dir() { fs::remove_all(path); }
  // Nothing but `dest` (when expected) may exist in the folder: no temp leftovers.
  size_t count() const { return size_t(std::distance(fs::directory_iterator(path), fs::directory_iterator())); }
};

Status unpack(const Dir& d, const std::vector<Entry>& entries, UnpackLimits limits = {}) {
  return unpack_archive(make_tar(entries), d.path + "/out", "test.tar.gz", limits);
}

TEST_CASE("unpack: a normal cookbook unpacks, with a safe internal symlink and hard link") {
  Dir d;
  Status s = unpack(d, {{"metadata.yaml", AE_IFREG, "name: x\n"},
                        {"recipes/default.yaml", AE_IFREG, "resources: []\n"},
                        {"files", AE_IFDIR, ""},
                        {"files/a.txt", AE_IFREG, "a"},
                        {"files/link", AE_IFLNK, "a.txt"},
                        {"files/up", AE_IFLNK, "../metadata.yaml"},
                        {"files/hard", AE_IFREG, "files/a.txt", true}});
  REQUIRE(s.is_ok());
  CHECK(*read_local_file(d.path + "/out/recipes/default.yaml") == "resources: []\n");
  CHECK(*read_local_file(d.path + "/out/files/hard") == "a");
  CHECK(fs::read_symlink(d.path + "/out/files/link") == "a.txt");
  CHECK(d.count() == 1);
}

TEST_CASE("unpack: each unsafe archive is refused, saying why, and nothing is left behind") {
  struct Case {
    const char* name;
    std::vector<Entry> entries;
    const char* why;
  };
  std::vector<Case> cases = {
      {"absolute path", {{"/etc/evil", AE_IFREG, "x"}}, "absolute path"},
      {"dot-dot", {{"a/../../evil", AE_IFREG, "x"}}, "path contains \"..\""},
      {"symlink out", {{"l", AE_IFLNK, "/etc"}}, "points outside the cookbook"},
      {"symlink up", {{"d/l", AE_IFLNK, "../../x"}}, "points outside the cookbook"},
      {"symlink via link", {{"y", AE_IFLNK, "."}, {"x", AE_IFLNK, "y/../etc"}}, "points outside the cookbook"},
      {"through symlink", {{"d", AE_IFDIR, ""}, {"l", AE_IFLNK, "d"}, {"l/f", AE_IFREG, "x"}},
       "written through symlink \"l\""},
      {"hard link out", {{"h", AE_IFREG, "/etc/passwd", true}}, "hard link target: absolute path"},
      {"hard link unknown", {{"h", AE_IFREG, "nothere", true}}, "not an earlier file"},
      {"char device", {{"dev", AE_IFCHR, ""}}, "device files are not allowed"},
      {"block device", {{"dev", AE_IFBLK, ""}}, "device files are not allowed"},
      {"fifo", {{"p", AE_IFIFO, ""}}, "FIFOs are not allowed"},
      {"duplicate", {{"a", AE_IFREG, "1"}, {"a", AE_IFREG, "2"}}, "duplicate entry"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Dir d;
    Status s = unpack(d, c.entries);
    REQUIRE(!s.is_ok());
    CHECK(s.code() == Code::kUntrusted);
    CHECK(s.message().find(c.why) != std::string::npos);
    CHECK(s.message().find("nothing was unpacked") != std::string::npos);
    CHECK(d.count() == 0);
  }
}

TEST_CASE("unpack: entry and size limits, and a truncated archive") {
  Dir d;
  std::vector<Entry> many;
  for (int i = 0; i < 11; ++i) many.push_back({"f" + std::to_string(i), AE_IFREG, "x"});
  Status s = unpack(d, many, UnpackLimits{10, 1 << 20});
  CHECK(s.message().find("more than 10 entries") != std::string::npos);
  s = unpack(d, {{"big", AE_IFREG, std::string(2000, 'z')}}, UnpackLimits{100, 1000});
  CHECK(s.message().find("exceed the limit of 1000 bytes") != std::string::npos);
  s = unpack(d, {{"a", AE_IFREG, std::string(600, 'z')}, {"b", AE_IFREG, std::string(600, 'z')}}, UnpackLimits{100, 1000});
  CHECK(s.message().find("exceed the limit of 1000 bytes") != std::string::npos);
  std::string noise(100000, '\0');
  uint32_t x = 12345;
  for (auto& c : noise) c = char((x = x * 1103515245u + 12345u) >> 24);  // incompressible
  std::string tar = make_tar({{"a", AE_IFREG, noise}});
  s = unpack_archive(tar.substr(0, tar.size() / 2), d.path + "/out", "t", {});
  CHECK(s.message().find("truncated") != std::string::npos);
  CHECK(unpack_archive("not an archive at all", d.path + "/out", "t", {}).code() == Code::kUntrusted);
  CHECK(d.count() == 0);
}

std::string make_zip_xz(const std::vector<Entry>& entries, bool zip) {
  std::string out;
  archive* a = archive_write_new();
  if (zip) archive_write_set_format_zip(a);
  else {
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_xz(a);
  }
  archive_write_open(a, &out, nullptr, append, nullptr);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, 0640);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.data.c_str());
    else if (e.type == AE_IFREG) archive_entry_set_size(ae, int64_t(e.data.size()));
    archive_write_header(a, ae);
    if (e.type == AE_IFREG) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

TEST_CASE("walk_archive: zip and tar.xz with any_format, strip_components, and its link rule after stripping") {
  std::vector<Entry> entries = {{"app-1.0/", AE_IFDIR, ""}, {"app-1.0/bin/run", AE_IFREG, "#!/bin/sh\n"},
                                {"app-1.0/current", AE_IFLNK, "bin/run"}, {"top.txt", AE_IFREG, "skipped"}};
  for (bool zip : {true, false}) {
    CAPTURE(zip);
    std::string data = make_zip_xz(entries, zip);
    WalkOptions o;
    o.what = "t";
    std::vector<std::string> seen;
    auto collect = [&](const ArchiveEntry& e) {
      seen.push_back(e.path + "=" + (e.kind == ArchiveEntry::Kind::kFile ? e.content : e.target));
      return Status::ok();
    };
    // Cookbooks stay tar/gzip only.
    CHECK(walk_archive(data, o, collect).code() == Code::kUntrusted);
    o.any_format = true;
    o.strip_components = 1;
    REQUIRE(walk_archive(data, o, collect).is_ok());
    CHECK(seen == std::vector<std::string>{"bin/run=#!/bin/sh\n", "current=bin/run"});
  }
  // A link that was inside before stripping may point out after it.
  WalkOptions o;
  o.what = "t";
  o.inside = "the destination";
  o.strip_components = 1;
  Status s = walk_archive(make_tar({{"a/l", AE_IFLNK, "../b"}, {"b", AE_IFREG, "x"}}), o,
                          [](const ArchiveEntry&) { return Status::ok(); });
  CHECK(s.message() == "t: unsafe archive refused: entry \"a/l\": symlink to \"../b\" points outside the destination; "
                       "nothing was unpacked");
  // A file through a file of the archive is refused too.
  o.strip_components = 0;
  s = walk_archive(make_tar({{"f", AE_IFREG, "x"}, {"f/g", AE_IFREG, "y"}}), o, [](const ArchiveEntry&) { return Status::ok(); });
  CHECK(s.message().find("a parent of it is not a folder") != std::string::npos);
}

TEST_CASE("pack_cookbook: same content gives the same bytes, and round-trips through unpack") {
  Dir d;
  fs::create_directories(d.path + "/cb/recipes");
  REQUIRE(write_local_file_atomic(d.path + "/cb/metadata.yaml", "name: cb\nversion: 1.0.0\n", 0644).is_ok());
  REQUIRE(write_local_file_atomic(d.path + "/cb/recipes/default.yaml", "resources: []\n", 0600).is_ok());
  auto a = pack_cookbook(d.path + "/cb");
  REQUIRE(a.is_ok());
  // Touch times and modes that do not count; the bytes stay the same.
  fs::last_write_time(d.path + "/cb/metadata.yaml", fs::file_time_type::clock::now() - std::chrono::hours(5));
  fs::permissions(d.path + "/cb/recipes/default.yaml", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto b = pack_cookbook(d.path + "/cb");
  REQUIRE(b.is_ok());
  CHECK(*a == *b);
  REQUIRE(unpack_archive(*a, d.path + "/out", "cb", {}).is_ok());
  CHECK(*read_local_file(d.path + "/out/recipes/default.yaml") == "resources: []\n");
}

}  // namespace
}  // namespace roux::sources
