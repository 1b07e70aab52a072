#pragma once
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/value.h"

namespace roux::compiler {

/// Parsed YAML trees kept between runs, so a no-op run does not scan YAML again: scanning is
/// the largest part of compiling a big policy. One entry per file path, DIR/<sha256(path)>.cbor
/// (DIR: the state folder when converging /, never inside a --root tree: see converge.cc)
/// (CBOR via nlohmann, with the texts in one block after it: parse_cache.cc), holding the
/// SHA-256 of the text it was parsed from (with the roux version and the format) and the tree
/// with every file:line:col. An entry is used only when
/// that digest matches the text read now; anything unreadable or malformed is ignored and the
/// text parsed again, so the cache can make a run faster, never different. Only clean parses
/// are kept. New entries are written (atomically: temp file + rename) by commit(), which the
/// compiler calls only when the whole compile succeeded (a compile error leaves the host as it
/// was), and only when `writable` (apply; plan and validate only read).
class ParseCache {
 public:
  /// dir "" = no cache (parse every time).
  ParseCache(std::string dir, bool writable) : dir_(std::move(dir)), writable_(writable) {}

  /// parse_yaml(text, file, out, errors), through the cache.
  bool parse(const std::string& text, const std::string& file, engine::Value* out, std::vector<Status>* errors);

  /// parse() in two halves, for parsing several files at once: parse_apart() changes nothing of
  /// the cache (any number of threads at once; what it logs, it logs on its own thread), and
  /// keep() then records its outcome (hit or miss, the entry to write), on one thread.
  struct Outcome {
    bool hit = false;
    std::string path, bytes;  // an entry for commit() ("" = none)
  };
  bool parse_apart(const std::string& text, const std::string& file, engine::Value* out, std::vector<Status>* errors,
                   Outcome* outcome) const;
  void keep(Outcome outcome);

  /// Writes the entries parsed since the last commit (best effort: a failed write only costs
  /// the next run a parse).
  void commit();

  int hits() const { return hits_; }
  int misses() const { return misses_; }

 private:
  std::string dir_;
  bool writable_;
  int hits_ = 0, misses_ = 0;
  std::vector<std::pair<std::string, std::string>> pending_;  // path, bytes
};

/// The cache's encoding of a tree (exposed for tests): CBOR and a texts block, and back. Decoding refuses
/// anything that is not exactly what encode writes, and never throws or aborts, whatever the
/// bytes (lengths in them are claims: nothing larger than the input is allocated). `stale`, if
/// given, says whether a refused entry was well formed but for another text or format.
std::string encode_value_tree(const engine::Value& v, const std::string& digest);
bool decode_value_tree(const std::string& bytes, const std::string& digest, const std::string& file, engine::Value* out,
                       bool* stale = nullptr);

}  // namespace roux::compiler
