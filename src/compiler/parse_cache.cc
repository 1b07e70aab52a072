#include "compiler/parse_cache.h"

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/version.h"
#include "compiler/yaml_value.h"
#include "sources/local_file.h"

namespace roux::compiler {
namespace {

using Json = nlohmann::json;
using engine::Value;

// 2: parses now refuse a second document and the input limits (yaml_value.h), so entries written
// by an older parser are not trusted.
// 3: the texts (scalars and keys) are out of the CBOR, in one block after it: nlohmann reads a
// CBOR string one byte at a time, which was most of a no-op's decode.
constexpr int kFormat = 3;

// An entry is CBOR [format, digest, node], then the texts block, then the block's size (8 bytes,
// little-endian). A node is [kind, line, column, payload...]:
//   null [0, l, c]   scalar [1, l, c, text_size, quoted]   list [2, l, c, [node...]]
//   map [3, l, c, [[key_size, key_line, key_column, node]...]]
// Every text (a scalar's, a key's) is in the block, in the order of its node in the CBOR; a
// node holds only its size.
Json encode(const Value& v, std::string* texts) {
  Json a = Json::array({static_cast<int>(v.kind), v.where.line, v.where.column});
  switch (v.kind) {
    case Value::Kind::kNull: break;
    case Value::Kind::kScalar:
      a.push_back(v.scalar.size());
      texts->append(v.scalar);
      a.push_back(v.quoted);
      break;
    case Value::Kind::kList: {
      Json items = Json::array();
      for (const auto& item : v.list) items.push_back(encode(item, texts));
      a.push_back(std::move(items));
      break;
    }
    case Value::Kind::kMap: {
      Json entries = Json::array();
      for (const auto& e : v.map) {
        Json entry = Json::array({e.key.size(), e.key_where.line, e.key_where.column});
        texts->append(e.key);
        entry.push_back(encode(e.value, texts));
        entries.push_back(std::move(entry));
      }
      a.push_back(std::move(entries));
      break;
    }
  }
  return a;
}

constexpr size_t kTrailer = 8;  // the texts block's size

/// Builds the Value tree straight from the CBOR events (no JSON document in between: decoding is
/// on every no-op run's path), taking each text from `texts` in turn. Any event out of place, a
/// text past the block's end, or a block not used up fails the decode.
class TreeReader final : public nlohmann::json_sax<Json> {
 public:
  TreeReader(const std::string& digest, FileName file, Value* root, size_t input_size, std::string_view texts)
      : digest_(digest), file_(file), root_(root), input_size_(input_size), texts_(texts) {}
  bool complete() const { return done_ && next_text_ == texts_.size(); }
  /// Whether the entry was well formed as far as read but made for another text or format.
  bool stale() const { return stale_; }

  bool null() override { return false; }
  bool boolean(bool b) override {
    Frame* f = top();
    if (!f || f->what != kNode || f->idx != 4 || f->v->kind != Value::Kind::kScalar) return false;
    f->v->quoted = b;
    ++f->idx;
    return true;
  }
  bool number_integer(number_integer_t n) override { return n >= 0 && number(static_cast<uint64_t>(n)); }
  bool number_unsigned(number_unsigned_t n) override { return number(n); }
  bool number_float(number_float_t, const string_t&) override { return false; }
  bool string(string_t& s) override {
    Frame* f = top();
    if (!f) return false;
    if (f->what == kTop && f->idx == 1) {
      if (s != digest_) return stale_ = true, false;  // parsed from another text: stale
    } else {
      return false;
    }
    ++f->idx;
    return true;
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return false; }
  bool key(string_t&) override { return false; }
  bool end_object() override { return false; }
  bool start_array(std::size_t n) override {
    if (stack_.size() > 1024) return false;
    Frame* f = top();
    if (!f) {
      if (done_) return false;
      stack_.push_back({kTop, 0, nullptr, nullptr});
      return true;
    }
    // A count from the file is a claim, not a fact: every element takes at least one byte of
    // input, so no more than the input's size is reserved (a corrupt count of 2^40 would
    // otherwise throw length_error or exhaust memory before the first element is read).
    bool known = n != static_cast<std::size_t>(-1);
    n = std::min(n, input_size_);
    switch (f->what) {
      case kTop:
        if (f->idx != 2) return false;
        ++f->idx;
        stack_.push_back({kNode, 0, root_, nullptr});
        return true;
      case kNode:
        if (f->idx != 3) return false;
        ++f->idx;
        if (f->v->kind == Value::Kind::kList) {
          if (known) f->v->list.reserve(n);
          stack_.push_back({kItems, 0, f->v, nullptr});
        } else if (f->v->kind == Value::Kind::kMap) {
          if (known) f->v->map.reserve(n);
          stack_.push_back({kEntries, 0, f->v, nullptr});
        } else {
          return false;
        }
        return true;
      case kItems: {
        Value* child = &f->v->list.emplace_back();
        ++f->idx;
        stack_.push_back({kNode, 0, child, nullptr});
        return true;
      }
      case kEntries: {
        Value::Entry* e = &f->v->map.emplace_back();
        ++f->idx;
        stack_.push_back({kEntry, 0, nullptr, e});
        return true;
      }
      case kEntry:
        if (f->idx != 3) return false;
        ++f->idx;
        stack_.push_back({kNode, 0, &f->e->value, nullptr});
        return true;
    }
    return false;
  }
  bool end_array() override {
    Frame* f = top();
    if (!f) return false;
    size_t want = 0;
    switch (f->what) {
      case kTop: want = 3; break;
      case kNode: want = f->v->kind == Value::Kind::kNull ? 3 : f->v->kind == Value::Kind::kScalar ? 5 : 4; break;
      case kItems: case kEntries: want = f->idx; break;
      case kEntry: want = 4; break;
    }
    if (f->idx != want) return false;
    if (f->what == kTop) done_ = true;
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum What { kTop, kNode, kItems, kEntries, kEntry };
  struct Frame {
    What what;
    size_t idx;
    Value* v;
    Value::Entry* e;
  };
  Frame* top() { return stack_.empty() ? nullptr : &stack_.back(); }

  bool number(uint64_t n) {
    Frame* f = top();
    if (!f || n > (1u << 30)) return false;
    int i = static_cast<int>(n);
    if (f->what == kTop && f->idx == 0) {
      if (i != kFormat) return stale_ = true, false;  // another roux's format
    } else if (f->what == kNode && f->idx == 0) {
      if (i > 3) return false;
      f->v->kind = static_cast<Value::Kind>(i);
    } else if (f->what == kNode && f->idx == 1) {
      f->v->where = {file_, i, 0};
    } else if (f->what == kNode && f->idx == 2) {
      f->v->where.column = i;
    } else if (f->what == kNode && f->idx == 3 && f->v->kind == Value::Kind::kScalar) {
      if (!take_text(n, &f->v->scalar)) return false;
    } else if (f->what == kEntry && f->idx == 0) {
      if (!take_text(n, &f->e->key)) return false;
    } else if (f->what == kEntry && f->idx == 1) {
      f->e->key_where = {file_, i, 0};
    } else if (f->what == kEntry && f->idx == 2) {
      f->e->key_where.column = i;
    } else {
      return false;
    }
    ++f->idx;
    return true;
  }

  /// The next `size` bytes of the texts block into `out`; false past the block's end.
  bool take_text(uint64_t size, std::string* out) {
    if (size > texts_.size() - next_text_) return false;
    out->assign(texts_.data() + next_text_, size);
    next_text_ += size;
    return true;
  }

  const std::string& digest_;
  FileName file_;
  Value* root_;
  size_t input_size_;
  std::string_view texts_;
  size_t next_text_ = 0;
  std::vector<Frame> stack_;
  bool done_ = false;
  bool stale_ = false;
};

/// Best effort: a cache that cannot be written only costs the next run a parse.
void write_entry(const std::string& dir, const std::string& path, const std::string& bytes) {
  // The folder and its parents, private (STATE/cache/parsed, or ~/.cache/roux/parsed).
  for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1))
    mkdir(dir.substr(0, slash).c_str(), 0700);
  mkdir(dir.c_str(), 0700);
  (void)sources::write_local_file_atomic(path, bytes, 0600);
}

}  // namespace

std::string encode_value_tree(const Value& v, const std::string& digest) {
  std::string texts;
  Json j = Json::array({kFormat, digest, encode(v, &texts)});
  std::string bytes;
  Json::to_cbor(j, bytes);
  bytes += texts;
  uint64_t size = texts.size();
  for (size_t i = 0; i < kTrailer; ++i) bytes.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  return bytes;
}

bool decode_value_tree(const std::string& bytes, const std::string& digest, const std::string& file, Value* out,
                       bool* stale) {
  // The texts block's size, from the trailer; the CBOR is what precedes the block. A trailer
  // that cannot be right (an older format's entry, garbage) leaves the whole entry to the CBOR
  // reader, which refuses it (as stale when it is an older format's).
  size_t cbor_size = bytes.size(), texts_size = 0;
  if (bytes.size() >= kTrailer) {
    uint64_t n = 0;
    for (size_t i = 0; i < kTrailer; ++i)
      n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[bytes.size() - kTrailer + i])) << (8 * i);
    if (n <= bytes.size() - kTrailer) {
      texts_size = n;
      cbor_size = bytes.size() - kTrailer - n;
    }
  }
  std::string_view texts(bytes.data() + cbor_size, texts_size);
  Value v;
  TreeReader reader(digest, FileName(file), &v, cbor_size, texts);
  bool ok = false;
  try {
    ok = Json::sax_parse(bytes.data(), bytes.data() + cbor_size, &reader, nlohmann::detail::input_format_t::cbor,
                         /*strict=*/true);
  } catch (const std::exception&) {
    // A cache entry is never trusted to be well formed: whatever it does to the decoder
    // (nlohmann's errors, an allocation it cannot make) means "no entry", and the text is parsed.
    ok = false;
  }
  if (stale) *stale = reader.stale();
  if (!ok || !reader.complete()) return false;
  *out = std::move(v);
  return true;
}

bool ParseCache::parse(const std::string& text, const std::string& file, Value* out, std::vector<Status>* errors) {
  Outcome outcome;
  bool ok = parse_apart(text, file, out, errors, &outcome);
  keep(std::move(outcome));
  return ok;
}

bool ParseCache::parse_apart(const std::string& text, const std::string& file, Value* out, std::vector<Status>* errors,
                             Outcome* outcome) const {
  if (dir_.empty()) return parse_yaml(text, file, out, errors);
  std::string digest = sha256_hex(std::string("roux parse cache ") + std::to_string(kFormat) + " " + kVersion + "\n" + text);
  std::string path = dir_ + "/" + sha256_hex(file).substr(0, 32) + ".cbor";
  if (auto bytes = sources::read_local_file(path, 256 << 20); bytes.is_ok()) {
    bool stale = false;
    if (decode_value_tree(*bytes, digest, file, out, &stale)) {
      outcome->hit = true;
      return true;
    }
    // A stale entry is ordinary (the recipe was edited); a malformed one is worth a word. Either
    // way the text is parsed again, and an apply replaces the entry.
    if (!stale) log::warn("parse cache: ignoring corrupt entry " + path + " (for " + file + "); parsing the recipe again");
  }
  size_t before = errors->size();
  if (!parse_yaml(text, file, out, errors)) return false;
  // A recipe holding a URL password or a known secret is not copied to the cache: the recipe
  // file stays the only clear copy on disk (docs/security.md).
  if (writable_ && errors->size() == before && !redact::has_url_credentials(text) && !redact::contains_secret(text)) {
    outcome->path = std::move(path);
    outcome->bytes = encode_value_tree(*out, digest);
  }
  return true;
}

void ParseCache::keep(Outcome outcome) {
  if (dir_.empty()) return;
  ++(outcome.hit ? hits_ : misses_);
  if (!outcome.path.empty()) pending_.emplace_back(std::move(outcome.path), std::move(outcome.bytes));
}

void ParseCache::commit() {
  for (const auto& [path, bytes] : pending_) write_entry(dir_, path, bytes);
  pending_.clear();
}

}  // namespace roux::compiler
