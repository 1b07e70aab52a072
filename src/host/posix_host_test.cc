#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/host.h"
#include "tests/unit/temp_dir.h"

namespace roux::host {
namespace {

namespace fs = std::filesystem;

struct TempRoot : roux::testing::TempDir {
  void write(const std::string& rel, const std::string& data) const { std::ofstream(path + rel, std::ios::binary) << data; }
};

}  // namespace

TEST_CASE("host: lstat_compare says whether a file holds exactly the expected bytes") {
  TempRoot root;
  auto host = make_posix_host(root.path);
  REQUIRE(host.is_ok());
  std::string big(200000, 'x');
  root.write("/a", "hello\n");
  root.write("/big", big);
  fs::create_symlink("a", root.path + "/link");
  bool same = true;
  std::string hello = "hello\n", other = "hellO\n", longer = "hello!\n";

  auto fi = (*host)->lstat_compare("/a", &hello, &same);
  REQUIRE(fi.is_ok());
  CHECK(fi->type == FileType::kFile);
  CHECK(same);
  REQUIRE((*host)->lstat_compare("/a", &other, &same).is_ok());
  CHECK_FALSE(same);  // same size, other bytes
  REQUIRE((*host)->lstat_compare("/a", &longer, &same).is_ok());
  CHECK_FALSE(same);
  REQUIRE((*host)->lstat_compare("/a", nullptr, &same).is_ok());
  CHECK_FALSE(same);

  REQUIRE((*host)->lstat_compare("/big", &big, &same).is_ok());
  CHECK(same);  // several reads
  std::string big_last = big;
  big_last.back() = 'y';
  REQUIRE((*host)->lstat_compare("/big", &big_last, &same).is_ok());
  CHECK_FALSE(same);

  auto link = (*host)->lstat_compare("/link", &hello, &same);
  REQUIRE(link.is_ok());
  CHECK(link->type == FileType::kSymlink);  // never followed
  CHECK_FALSE(same);
  auto missing = (*host)->lstat_compare("/nope/x", &hello, &same);
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->exists());
  CHECK_FALSE(same);
}

// On "/" the fstatat before the open describes the entry (no fstat of the opened file): the
// content read must still be exactly the expected bytes, up to EOF, in one or several reads.
TEST_CASE("host: lstat_compare on / reads up to EOF and describes the entry from its lstat") {
  TempRoot root;
  auto host = make_posix_host("/");
  REQUIRE(host.is_ok());
  std::string big(200000, 'x'), chunk(65536, 'c');
  root.write("/a", "hello\n");
  root.write("/empty", "");
  root.write("/big", big);
  root.write("/chunk", chunk);  // exactly one buffer: EOF is seen by a read returning 0
  fs::create_symlink("a", root.path + "/link");
  REQUIRE(::mkfifo((root.path + "/fifo").c_str(), 0600) == 0);
  fs::permissions(root.path + "/a", fs::perms(0640));
  bool same = false;
  std::string hello = "hello\n", other = "hellO\n", empty, big_last = big, chunk_last = chunk;
  big_last.back() = 'y';
  chunk_last.back() = 'd';

  auto fi = (*host)->lstat_compare(root.path + "/a", &hello, &same);
  REQUIRE(fi.is_ok());
  CHECK(same);
  CHECK(fi->type == FileType::kFile);
  CHECK(fi->mode == 0640);
  CHECK(fi->size == 6);
  CHECK(fi->uid == ::geteuid());
  REQUIRE((*host)->lstat_compare(root.path + "/a", &other, &same).is_ok());
  CHECK_FALSE(same);
  REQUIRE((*host)->lstat_compare(root.path + "/empty", &empty, &same).is_ok());
  CHECK(same);
  REQUIRE((*host)->lstat_compare(root.path + "/a", &empty, &same).is_ok());
  CHECK_FALSE(same);
  REQUIRE((*host)->lstat_compare(root.path + "/big", &big, &same).is_ok());
  CHECK(same);
  REQUIRE((*host)->lstat_compare(root.path + "/big", &big_last, &same).is_ok());
  CHECK_FALSE(same);
  REQUIRE((*host)->lstat_compare(root.path + "/chunk", &chunk, &same).is_ok());
  CHECK(same);
  REQUIRE((*host)->lstat_compare(root.path + "/chunk", &chunk_last, &same).is_ok());
  CHECK_FALSE(same);
  auto link = (*host)->lstat_compare(root.path + "/link", &hello, &same);
  REQUIRE(link.is_ok());
  CHECK(link->type == FileType::kSymlink);  // never followed
  CHECK_FALSE(same);
  auto fifo = (*host)->lstat_compare(root.path + "/fifo", &empty, &same);  // never opened
  REQUIRE(fifo.is_ok());
  CHECK(fifo->type == FileType::kOther);
  CHECK_FALSE(same);
  auto missing = (*host)->lstat_compare(root.path + "/nope/x", &hello, &same);
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->exists());
}

TEST_CASE("host: a relative path is refused, never opened with its first character cut (\"xroot\" was /root)") {
  TempRoot root;
  auto host = make_posix_host(root.path);
  REQUIRE(host.is_ok());
  fs::create_directory(root.path + "/root");
  root.write("/root/f", "secret\n");
  auto& h = **host;
  for (const std::string p : {"xroot", "xroot/newu", "xroot/f", "x"}) {
    CAPTURE(p);
    auto fi = h.lstat(p);
    REQUIRE_FALSE(fi.is_ok());
    CHECK(fi.status().message().find("path must be absolute") != std::string::npos);
    bool same = false;
    std::string want = "secret\n";
    CHECK_FALSE(h.lstat_compare(p, &want, &same).is_ok());
    CHECK_FALSE(h.read_file(p).is_ok());
    CHECK_FALSE(h.mkdir(p, 0755).is_ok());
    CHECK_FALSE(h.write_file(p, "x", 0644, std::nullopt, std::nullopt).is_ok());
  }
  CHECK_FALSE(fs::exists(root.path + "/root/newu"));
  CHECK(fs::directory_iterator(root.path + "/root")->path().filename() == "f");
}

}  // namespace roux::host

namespace roux::host {

// write_file defers the data sync and the rename to one pass per batch (flush_pending): nothing
// may notice. Every read or change of a pending name, under any spelling, sees the new file.
TEST_CASE("host: a written file is in place for every later read, change and command, before the batch syncs") {
  TempRoot root;
  fs::create_directory(root.path + "/d");
  fs::create_symlink("d", root.path + "/alias");
  auto made = make_posix_host(root.path);
  REQUIRE(made.is_ok());
  Host& host = **made;
  REQUIRE(host.write_file("/d/a", "one\n", 0640, std::nullopt, std::nullopt).is_ok());
  auto text = host.read_file("/alias/a");  // another spelling of the same name
  REQUIRE(text.is_ok());
  CHECK(*text == "one\n");
  REQUIRE(host.write_file("/d/b", "two\n", 0600, std::nullopt, std::nullopt).is_ok());
  auto fi = host.lstat("/d/b");
  REQUIRE(fi.is_ok());
  CHECK(fi->type == FileType::kFile);
  CHECK(fi->mode == 0600);
  REQUIRE(host.write_file("/d/c", "three\n", 0600, std::nullopt, std::nullopt).is_ok());
  auto names = host.list_dir("/d");
  REQUIRE(names.is_ok());
  CHECK(*names == std::vector<std::string>{"a", "b", "c"});  // no temp file, every name in place
  // Two writes of one name keep their order; a chmod acts on the new file.
  REQUIRE(host.write_file("/d/e", "first\n", 0600, std::nullopt, std::nullopt).is_ok());
  REQUIRE(host.write_file("/d/e", "second\n", 0600, std::nullopt, std::nullopt).is_ok());
  REQUIRE(host.chmod("/d/e", 0644).is_ok());
  bool same = false;
  std::string second = "second\n";
  fi = host.lstat_compare("/alias/e", &second, &same);
  REQUIRE(fi.is_ok());
  CHECK(same);
  CHECK(fi->mode == 0644);
  // A guard command sees it too.
  REQUIRE(host.write_file("/d/g", "guard\n", 0600, std::nullopt, std::nullopt).is_ok());
  SubprocessOptions o;
  o.argv = {"test", "-f", root.path + "/d/g"};
  auto r = host.run_check(o);
  REQUIRE(r.is_ok());
  CHECK(r->exit_code == 0);
  // More files than one batch holds: all in place once the run syncs, no temp file left.
  for (int i = 0; i < 500; ++i)
    REQUIRE(host.write_file("/d/m" + std::to_string(i), std::to_string(i), 0600, std::nullopt, std::nullopt).is_ok());
  REQUIRE(host.sync_changed_dirs().is_ok());
  int files = 0;
  for (const auto& e : fs::directory_iterator(root.path + "/d")) {
    CHECK(e.path().filename().string().find(".roux-tmp") == std::string::npos);
    ++files;
  }
  CHECK(files == 505);
  std::ifstream in(root.path + "/d/m499");
  std::string got;
  in >> got;
  CHECK(got == "499");
}

TEST_CASE("host: write_file_pieces writes the pieces' bytes like write_file; a failing piece leaves the old file and no temp") {
  TempRoot root;
  auto host = make_posix_host(root.path);
  REQUIRE(host.is_ok());
  // Small pieces (buffered), one larger than the buffer (written through), empty ones.
  std::string expected;
  std::vector<std::string> pieces = {"a", "", std::string(70000, 'b'), "c\n", std::string(65535, 'd'), "e"};
  for (const auto& p : pieces) expected += p;
  Host::Pieces all = [&](const Host::PieceSink& sink) {
    for (const auto& p : pieces) ROUX_TRY(sink(p));
    return Status::ok();
  };
  REQUIRE((*host)->write_file_pieces("/r.json", all, 0640, std::nullopt, std::nullopt).is_ok());
  REQUIRE((*host)->sync_changed_dirs().is_ok());
  auto got = (*host)->read_file("/r.json", 1 << 20);
  REQUIRE(got.is_ok());
  CHECK(*got == expected);
  struct stat st;
  REQUIRE(::stat((root.path + "/r.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  // The producer fails half way: the old content stays, and no temp file is left beside it.
  Host::Pieces failing = [](const Host::PieceSink& sink) {
    ROUX_TRY(sink(std::string(100000, 'x')));
    return Status::io_msg("report cut short");
  };
  Status s = (*host)->write_file_pieces("/r.json", failing, 0640, std::nullopt, std::nullopt);
  CHECK(s.to_string().find("report cut short") != std::string::npos);
  REQUIRE((*host)->sync_changed_dirs().is_ok());
  got = (*host)->read_file("/r.json", 1 << 20);
  REQUIRE(got.is_ok());
  CHECK(*got == expected);
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(root.path)) entries += e.path().filename() != "r.json";
  CHECK(entries == 0);
}

TEST_CASE("host: set_mtime sets a link's own time, and a folder's after its pending writes are in place") {
  TempRoot root;
  fs::create_directory(root.path + "/d");
  root.write("/target", "t\n");
  fs::create_symlink("/target", root.path + "/d/link");
  auto made = make_posix_host(root.path);
  REQUIRE(made.is_ok());
  Host& host = **made;
  const int64_t t_link = int64_t{1500000000} * 1000000000 + 123456789, t_dir = int64_t{1500000200} * 1000000000 + 1;
  auto target_before = host.lstat("/target");
  REQUIRE(target_before.is_ok());
  REQUIRE(host.set_mtime("/d/link", t_link).is_ok());
  CHECK(host.lstat("/d/link")->mtime_ns == t_link);
  CHECK(host.lstat("/target")->mtime_ns == target_before->mtime_ns);  // never through the link
  // A write into the folder may still be pending: it goes in place first, so the folder keeps
  // the time it was given.
  REQUIRE(host.write_file("/d/f", "f\n", 0644, std::nullopt, std::nullopt).is_ok());
  REQUIRE(host.set_mtime("/d", t_dir).is_ok());
  REQUIRE(host.sync_changed_dirs().is_ok());
  CHECK(host.lstat("/d")->mtime_ns == t_dir);
  auto f = host.read_file("/d/f");
  REQUIRE(f.is_ok());
  CHECK(*f == "f\n");
  CHECK_FALSE(host.set_mtime("/d/missing", t_dir).is_ok());
  // Before 1970, with a fraction of a second (a skeleton file can be that old).
  const int64_t t_old = int64_t{-5} * 1000000000 - 250000000;
  REQUIRE(host.set_mtime("/target", t_old).is_ok());
  CHECK(host.lstat("/target")->mtime_ns == t_old);
}

}  // namespace roux::host

TEST_CASE("normalize_path: one slash between parts, . dropped, .. and relative paths refused") {
  CHECK(*roux::host::normalize_path("/") == "/");
  CHECK(*roux::host::normalize_path("//./") == "/");
  CHECK(*roux::host::normalize_path("/etc//nginx/./conf.d/") == "/etc/nginx/conf.d");
  CHECK(*roux::host::normalize_path("/a/.b/c..d/...") == "/a/.b/c..d/...");
  CHECK_FALSE(roux::host::normalize_path("/etc/../shadow").is_ok());
  CHECK_FALSE(roux::host::normalize_path("/etc/..").is_ok());
  CHECK_FALSE(roux::host::normalize_path("etc/passwd").is_ok());
  CHECK_FALSE(roux::host::normalize_path("").is_ok());
  CHECK_FALSE(roux::host::normalize_path(std::string_view("/etc/passwd\0.bak", 16)).is_ok());
}

TEST_CASE("account_file_problems: lines the parsers skip, named by line; the name only; long passwd lines") {
  using roux::host::account_file_problems;
  // Blank, comment and NIS lines are fine; a short line, an empty name, a non-numeric id are not.
  auto p = account_file_problems("/etc/passwd",
                                 "root:x:0:0:root:/root:/bin/bash\n\n# c\n+nis\nbig:x:1000:1000:gecos\n:x:1:1::/:/bin/sh\n"
                                 "odd:x:1a:1::/:/bin/sh\n");
  REQUIRE(p.size() == 3);
  CHECK(p[0].to_string() == "/etc/passwd:5: not a passwd entry (5 fields, want 7; name \"big\"; 21 bytes)");
  CHECK(p[1].to_string() == "/etc/passwd:6: not a passwd entry (7 fields, want 7; an empty name; 17 bytes)");
  CHECK(p[2].to_string() == "/etc/passwd:7: not a passwd entry (field 3 \"1a\" is not a number; name \"odd\"; 21 bytes)");
  for (const auto& e : p) CHECK(e.unreadable);
  // A shadow line: never its hash, only its name (control bytes escaped).
  auto s = account_file_problems("/etc/shadow", "root:$y$secret:1::::::\nev\x1b[2Jil\n");
  REQUIRE(s.size() == 1);
  CHECK(s[0].to_string() == "/etc/shadow:2: not a shadow entry (1 field, want 2; name \"ev\\x1b[2Jil\"; 8 bytes)");
  CHECK(account_file_problems("/etc/group", "g:x:10:a,b\nh:x::\n")[0].what.find("field 3 \"\" is not a number") != std::string::npos);
  // An id past what uid_t holds (it would wrap: 4294967296 to 0, root) is no id either.
  CHECK(account_file_problems("/etc/passwd", "w:x:4294967296:1::/:/bin/sh\n")[0].what ==
        "not a passwd entry (field 3 \"4294967296\" is out of range (0 to 4294967294); name \"w\"; 27 bytes)");
  CHECK(account_file_problems("/etc/passwd", "w:x:4294967294:4294967294::/:/bin/sh\n").empty());
  // A whole passwd line past shadow's 32 KiB: read, so only warned.
  auto l = account_file_problems("/etc/passwd", "big:x:1:1:" + std::string(40000, 'x') + ":/:/bin/sh\n");
  REQUIRE(l.size() == 1);
  CHECK_FALSE(l[0].unreadable);
  roux::host::AccountDb db;
  db.problems = l;
  CHECK(db.check_readable({"/etc/passwd"}).is_ok());
  db.problems = p;
  CHECK(db.check_readable({"/etc/group"}).is_ok());
  CHECK(db.check_readable({"/etc/passwd"}).message().find("cannot tell which accounts exist: /etc/passwd:5:") == 0);
}
