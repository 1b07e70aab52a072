#include "base/read_fd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace roux {

int read_fd_to_end(int fd, size_t max_bytes, std::string* out, size_t size_hint) {
  out->clear();
  const size_t limit = max_bytes == static_cast<size_t>(-1) ? max_bytes : max_bytes + 1;  // one past: too large
  size_t size = size_hint;
  if (size == static_cast<size_t>(-1)) {
    struct stat st;
    size = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  }
  // One byte past the known size, so the end is seen by a short read, not by a second call.
  out->resize(std::min(limit, (size == 0 ? size_t{65536} : size + 1)));
  size_t got = 0;
  for (;;) {
    if (got == out->size()) {
      if (got >= limit) {
        out->clear();
        return EFBIG;
      }
      out->resize(std::min(limit, std::max<size_t>(got * 2, 65536)));
    }
    const ssize_t n = ::read(fd, out->data() + got, out->size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      out->clear();
      return e;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got > max_bytes) {
      out->clear();
      return EFBIG;
    }
  }
  out->resize(got);
  return 0;
}

}  // namespace roux
