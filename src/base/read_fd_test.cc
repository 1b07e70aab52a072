#include "base/read_fd.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace roux {
namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/roux-read-fd-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path = tmpl;
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

int read_path(const std::string& path, size_t max, std::string* out, size_t hint = static_cast<size_t>(-1)) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  int e = read_fd_to_end(fd, max, out, hint);
  ::close(fd);
  return e;
}

}  // namespace

TEST_CASE("read_fd_to_end: whole files of every size, the limit exact, hints wrong either way") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{1} << 20, (size_t{1} << 20) + 3}) {
    CAPTURE(n);
    const std::string want = pattern(n);
    TempFile f(want);
    std::string got = "left over";
    CHECK(read_path(f.path, n, &got) == 0);  // exactly the limit: read
    CHECK(got == want);
    if (n > 0) {
      got = "left over";
      CHECK(read_path(f.path, n - 1, &got) == EFBIG);  // one byte more than allowed
      CHECK(got.empty());
    }
    // A hint that is wrong (the file changed between the stat and the read): still the whole file.
    for (size_t hint : {size_t{0}, n / 2, n + 100}) {
      CAPTURE(hint);
      CHECK(read_path(f.path, size_t{1} << 30, &got, hint) == 0);
      CHECK(got == want);
    }
    CHECK(read_path(f.path, static_cast<size_t>(-1), &got) == 0);  // no limit
    CHECK(got == want);
  }
}

TEST_CASE("read_fd_to_end: a pipe (no size known) is read to its end, and over the limit refused") {
  const std::string want = pattern(200000);
  for (size_t max : {size_t{300000}, size_t{200000}, size_t{199999}}) {
    CAPTURE(max);
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(p[0]);
      size_t off = 0;
      while (off < want.size()) {
        ssize_t w = ::write(p[1], want.data() + off, std::min<size_t>(4096, want.size() - off));
        if (w <= 0) ::_exit(1);
        off += static_cast<size_t>(w);
      }
      ::_exit(0);
    }
    ::close(p[1]);
    std::string got;
    int e = read_fd_to_end(p[0], max, &got);
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (max >= want.size()) {
      CHECK(e == 0);
      CHECK(got == want);
    } else {
      CHECK(e == EFBIG);
      CHECK(got.empty());
    }
  }
}

TEST_CASE("read_fd_to_end: a read error is returned, not a partial text") {
  int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::string got = "x";
  CHECK(read_fd_to_end(fd, 1024, &got) == EISDIR);
  CHECK(got.empty());
  ::close(fd);
}

}  // namespace roux
