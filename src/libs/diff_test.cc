#include "libs/diff.h"

#include <doctest/doctest.h>

#include "base/strings.h"

namespace roux {

TEST_CASE("unified_diff: equal inputs give no diff") { CHECK(unified_diff("a\nb\n", "a\nb\n", "/x") == ""); }

TEST_CASE("unified_diff: one changed line with context") {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n";
  std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n";
  CHECK(unified_diff(before, after, "/etc/x") ==
        "--- a/etc/x\n+++ b/etc/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("unified_diff: creation from empty and missing final newline") {
  CHECK(unified_diff("", "hello\n", "/m") == "--- a/m\n+++ b/m\n@@ -0,0 +1 @@\n+hello\n");
  CHECK(unified_diff("a\n", "a", "/m") ==
        "--- a/m\n+++ b/m\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
}

TEST_CASE("unified_diff: distant changes make two hunks") {
  std::string before, after;
  for (int i = 0; i < 30; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 || i == 25 ? "x" : std::to_string(i)) + "\n";
  }
  std::string d = unified_diff(before, after, "/f");
  size_t hunks = 0;
  for (const auto& line : split_lines(d))
    if (starts_with(line, "@@")) ++hunks;
  CHECK(hunks == 2);
}

TEST_CASE("unified_diff: a 3,000-line file with 2 changed lines diffs in full (no size refusal)") {
  std::string before, after;
  for (int i = 0; i < 3000; ++i) {
    before += "line " + std::to_string(i) + "\n";
    after += (i == 10 || i == 2900 ? "changed " : "line ") + std::to_string(i) + "\n";
  }
  CHECK(unified_diff(before, after, "/big") ==
        "--- a/big\n+++ b/big\n"
        "@@ -8,7 +8,7 @@\n line 7\n line 8\n line 9\n-line 10\n+changed 10\n line 11\n line 12\n line 13\n"
        "@@ -2898,7 +2898,7 @@\n line 2897\n line 2898\n line 2899\n-line 2900\n+changed 2900\n line 2901\n"
        " line 2902\n line 2903\n");
}

TEST_CASE("unified_diff: past the line cap, the rest is counted") {
  std::string before, after;
  for (int i = 0; i < 1000; ++i) after += std::to_string(i) + "\n";
  std::string d = unified_diff(before, after, "/f", 10);
  // 2 file headers + 10 lines (the hunk header and 9 added lines), then the count of the rest.
  CHECK(d == "--- a/f\n+++ b/f\n@@ -0,0 +1,1000 @@\n+0\n+1\n+2\n+3\n+4\n+5\n+6\n+7\n+8\n"
             "... 991 more diff lines not shown\n");
}

TEST_CASE("unified_diff: binary content is named, not diffed") {
  CHECK(unified_diff(std::string("a\0b", 3), "text\n", "/b") == "(binary content differs)\n");
}

TEST_CASE("strings: looks_binary, format_mode, one_line") {
  CHECK(looks_binary(std::string("a\0b", 3)));
  CHECK_FALSE(looks_binary("plain text, caf\xc3\xa9\n"));
  CHECK(looks_binary("\xff\xfe bad utf8"));
  CHECK(format_mode(0644) == "0644");
  CHECK(format_mode(04755) == "4755");
  CHECK(one_line("a\nb", 10) == "a\\nb");
}

}  // namespace roux
