#pragma once
#include <cstddef>
#include <string>

namespace roux {

/// Reads `fd` from its offset to its end into *out (replacing what it held): the one buffer is
/// sized from the file's size when fd is a regular file (one `fstat`, or `size_hint` when the
/// caller has just stat'ed it), so a large file costs one allocation and no copy; a file that
/// grows while read, or one whose size fstat does not know (a pipe, /proc), is read on.
/// Returns 0, the errno of a failed fstat/read, or EFBIG when there are more than max_bytes
/// (*out is then empty).
int read_fd_to_end(int fd, size_t max_bytes, std::string* out, size_t size_hint = static_cast<size_t>(-1));

}  // namespace roux
