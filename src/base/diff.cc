#include "base/diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/strings.h"

namespace roux {
namespace {

struct Op {
  char kind;  // ' ', '-', '+'
  size_t a, b;  // line indices in before/after (valid per kind)
};

constexpr size_t kMaxCells = 4'000'000;
constexpr size_t kContext = 3;

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view label) {
  if (before == after) return "";
  std::vector<std::string> a = split_lines(before), b = split_lines(after);
  // A last line without a newline differs from the same text with one; carrying the marker in
  // the line itself makes the comparison and the output right at once.
  const char* kNoNewline = "\n\\ No newline at end of file";
  if (!before.empty() && before.back() != '\n') a.back() += kNoNewline;
  if (!after.empty() && after.back() != '\n') b.back() += kNoNewline;
  // Trim the common head and tail; the LCS table covers only the middle.
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  size_t n = a.size() - head - tail, m = b.size() - head - tail;
  if (n * m > kMaxCells) return "(content differs; too large to diff)\n";

  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      at(i, j) = a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));

  std::vector<Op> ops;
  for (size_t i = 0; i < head; ++i) ops.push_back({' ', i, i});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) {
      ops.push_back({' ', head + i, head + j});
      ++i, ++j;
    } else if (j < m && (i == n || at(i, j + 1) > at(i + 1, j))) {  // ties: '-' before '+' 
      ops.push_back({'+', 0, head + j});
      ++j;
    } else {
      ops.push_back({'-', head + i, 0});
      ++i;
    }
  }
  for (size_t k = 0; k < tail; ++k) ops.push_back({' ', head + n + k, head + m + k});

  std::string out = "--- a" + std::string(label) + "\n+++ b" + std::string(label) + "\n";
  auto line_of = [&](const Op& op) -> std::string {
    return std::string(1, op.kind) + (op.kind == '+' ? b[op.b] : a[op.a]) + "\n";
  };
  // Group changes into hunks with kContext lines around them.
  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == ' ') ++k;
    if (k == ops.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    size_t last_change = k;
    while (end < ops.size()) {
      if (ops[end].kind != ' ') last_change = end;
      else if (end - last_change > 2 * kContext) break;
      ++end;
    }
    end = std::min(ops.size(), last_change + kContext + 1);
    size_t a_start = 0, b_start = 0, a_len = 0, b_len = 0;
    bool a_set = false, b_set = false;
    for (size_t q = start; q < end; ++q) {
      if (ops[q].kind != '+') {
        if (!a_set) a_start = ops[q].a, a_set = true;
        ++a_len;
      }
      if (ops[q].kind != '-') {
        if (!b_set) b_start = ops[q].b, b_set = true;
        ++b_len;
      }
    }
    if (!a_set) {  // pure insertion: position is the line before
      size_t q = start;
      a_start = 0;
      while (q-- > 0)
        if (ops[q].kind != '+') { a_start = ops[q].a + 1; break; }
    }
    if (!b_set) {
      size_t q = start;
      b_start = 0;
      while (q-- > 0)
        if (ops[q].kind != '-') { b_start = ops[q].b + 1; break; }
    }
    out += "@@ -" + std::to_string(a_len ? a_start + 1 : a_start) + (a_len == 1 ? "" : "," + std::to_string(a_len)) +
           " +" + std::to_string(b_len ? b_start + 1 : b_start) + (b_len == 1 ? "" : "," + std::to_string(b_len)) +
           " @@\n";
    for (size_t q = start; q < end; ++q) out += line_of(ops[q]);
    k = end;
  }
  return out;
}

}  // namespace roux
