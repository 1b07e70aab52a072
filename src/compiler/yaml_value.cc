#include "compiler/yaml_value.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <sstream>

#include "base/read_fd.h"

namespace roux::compiler {
namespace {

SourceLocation loc(const FileName& file, const YAML::Mark& m) {
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

/// Builds the Value tree straight from yaml-cpp's parser events: no YAML::Node tree in between
/// (building and freeing it was most of the parse). Same result as YAML::Load + a walk: a map key
/// must be a scalar and unique (else an error at the key, and its value is dropped, errors inside
/// it too); an alias is a copy of its anchored node.
class TreeBuilder final : public YAML::EventHandler {
 public:
  /// Thrown out of the parser when the document passes a limit (yaml-cpp lets it through).
  struct LimitExceeded {
    std::string msg;
    SourceLocation where;
  };

  TreeBuilder(FileName file, engine::Value* root, std::vector<Status>* errors)
      : file_(file), root_(root), errors_(errors) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count(loc(file_, mark), {1, 0, 0});
    engine::Value* v = slot();
    v->kind = engine::Value::Kind::kNull;
    v->where = loc(file_, mark);
    done(v, anchor, {1, 0, 0});
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    bool quiet = quiet_here();
    auto it = anchors_.find(anchor);
    // An alias is a copy: it counts as its whole anchored tree, so 9 aliases of 9 aliases of ...
    // stop at the limit instead of growing 9^n (the "billion laughs").
    Size size = it != anchors_.end() ? it->second.size : Size{1, 0, 0};
    count(loc(file_, mark), size);
    if (static_cast<int>(stack_.size()) + size.height > kMaxNesting)
      throw LimitExceeded{"nesting deeper than " + std::to_string(kMaxNesting) + " levels (through an alias)",
                          loc(file_, mark)};
    engine::Value* v = slot();
    if (it != anchors_.end()) {
      *v = it->second.value;
    } else {
      v->where = loc(file_, mark);
      if (!quiet) error("an alias cannot refer to a node that contains it", v->where);
    }
    done(v, 0, size);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    count(loc(file_, mark), {1, value.size(), 0});
    engine::Value* v = slot();
    v->kind = engine::Value::Kind::kScalar;
    v->where = loc(file_, mark);
    v->scalar = value;
    v->quoted = tag == "!";
    done(v, anchor, {1, value.size(), 0});
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, engine::Value::Kind::kList);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, engine::Value::Kind::kMap);
  }
  void OnMapEnd() override { close(); }

 private:
  /// The size of a node's tree: nodes, scalar bytes, and height (0 for a scalar).
  struct Size {
    size_t nodes = 0;
    size_t bytes = 0;
    int height = 0;
  };
  struct Anchored {
    engine::Value value;
    Size size;
  };

  /// A list or map being built. A std::deque, so frames (and the Values in them) never move.
  struct Frame {
    engine::Value* v;
    YAML::anchor_t anchor;
    bool quiet;                  // inside a dropped value or a key: no errors from here
    Size size{1, 0, 1};          // this node's tree so far (itself, then each child added)
    bool in_key = false;         // map: the next node is a key
    engine::Value key;           // map: the key just read
    engine::Value scratch;       // map: where a dropped value goes
    bool drop_value = false;     // map: bad or duplicate key, so its value is dropped
    std::set<std::string> seen;  // map: keys so far
  };

  /// Where the next node goes.
  engine::Value* slot() {
    if (stack_.empty()) return root_;
    Frame& f = stack_.back();
    if (f.v->kind == engine::Value::Kind::kList) return &f.v->list.emplace_back();
    if (f.in_key) {
      f.key = engine::Value();
      return &f.key;
    }
    if (f.drop_value) {
      f.scratch = engine::Value();
      return &f.scratch;
    }
    engine::Value::Entry& e = f.v->map.emplace_back();
    e.key = f.key.scalar;
    e.key_where = f.key.where;
    return &e.value;
  }

  bool quiet_here() const {
    if (stack_.empty()) return false;
    const Frame& f = stack_.back();
    return f.quiet || (f.v->kind == engine::Value::Kind::kMap && (f.in_key || f.drop_value));
  }

  /// Adds a node of `size` to the document's totals; throws LimitExceeded past a limit.
  void count(const SourceLocation& mark, const Size& size) {
    nodes_ += size.nodes;
    bytes_ += size.bytes;
    if (nodes_ > kMaxYamlNodes)
      throw LimitExceeded{"more than " + std::to_string(kMaxYamlNodes) + " nodes once aliases are expanded", mark};
    if (bytes_ > kMaxYamlExpandedBytes)
      throw LimitExceeded{"more than " + std::to_string(kMaxYamlExpandedBytes) +
                              " bytes of text once aliases are expanded", mark};
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, engine::Value::Kind kind) {
    // yaml-cpp recurses per level (and stops only at 2000); the passes after it recurse too.
    if (static_cast<int>(stack_.size()) >= kMaxNesting)
      throw LimitExceeded{"nesting deeper than " + std::to_string(kMaxNesting) + " levels", loc(file_, mark)};
    count(loc(file_, mark), {1, 0, 0});
    bool quiet = quiet_here();
    engine::Value* v = slot();
    v->kind = kind;
    v->where = loc(file_, mark);
    stack_.push_back(Frame{v, anchor, quiet});
    if (kind == engine::Value::Kind::kMap) stack_.back().in_key = true;
  }

  void close() {
    engine::Value* v = stack_.back().v;
    YAML::anchor_t anchor = stack_.back().anchor;
    Size size = stack_.back().size;
    stack_.pop_back();
    done(v, anchor, size);
  }

  /// A node of `size` is complete: keep it for its anchor, add it to its parent's size, and in a
  /// map move from key to value or back.
  void done(engine::Value* v, YAML::anchor_t anchor, const Size& size) {
    if (anchor != 0) {
      // The anchor keeps a copy: it counts too, or nested anchors would copy a tree once per level.
      count(v->where, size);
      anchors_[anchor] = Anchored{*v, size};
    }
    if (!stack_.empty()) {
      Size& parent = stack_.back().size;
      parent.nodes += size.nodes;
      parent.bytes += size.bytes;
      parent.height = std::max(parent.height, size.height + 1);
    }
    if (stack_.empty() || stack_.back().v->kind != engine::Value::Kind::kMap) return;
    Frame& f = stack_.back();
    if (!f.in_key) {  // that was a value: a key comes next
      f.in_key = true;
      return;
    }
    f.in_key = false;
    f.drop_value = true;
    if (f.key.kind != engine::Value::Kind::kScalar) {
      if (!f.quiet) error("map keys must be strings", f.key.where);
    } else if (!f.seen.insert(f.key.scalar).second) {
      if (!f.quiet) error("duplicate key \"" + f.key.scalar + "\"", f.key.where);
    } else {
      f.drop_value = false;
    }
  }

  void error(const std::string& msg, const SourceLocation& where) {
    errors_->push_back(Status::invalid_input(msg, where));
  }

  FileName file_;
  engine::Value* root_;
  std::vector<Status>* errors_;
  std::deque<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;  // the document so far, aliases expanded
  size_t bytes_ = 0;
};

/// Stops at the start of a second document, with its position.
class SecondDocument final : public YAML::EventHandler {
 public:
  struct Found {
    YAML::Mark mark;
  };
  void OnDocumentStart(const YAML::Mark& mark) override { throw Found{mark}; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { throw Found{mark}; }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { throw Found{mark}; }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    throw Found{mark};
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    throw Found{mark};
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    throw Found{mark};
  }
  void OnMapEnd() override {}
};

}  // namespace

bool parse_yaml(const std::string& text, const std::string& file_name, engine::Value* out, std::vector<Status>* errors) {
  FileName file(file_name);  // interned once for every location of the tree
  engine::Value root;
  std::vector<Status> tree_errors;
  if (text.size() > kMaxInputBytes) {
    errors->push_back(Status::invalid_input("yaml: the file is " + std::to_string(text.size()) +
                                                " bytes, more than the limit of " + std::to_string(kMaxInputBytes),
                                            {file, 0, 0}));
    return false;
  }
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    TreeBuilder builder(file, &root, &tree_errors);
    parser.HandleNextDocument(builder);
    // Only one document: a second one ("---" and more) would be silently ignored otherwise.
    SecondDocument second;
    parser.HandleNextDocument(second);
  } catch (const YAML::Exception& e) {
    // A syntax error is the file's only error (as with YAML::Load: nothing else is checked).
    errors->push_back(Status::invalid_input("yaml: " + e.msg, loc(file, e.mark)));
    return false;
  } catch (const TreeBuilder::LimitExceeded& e) {
    errors->push_back(Status::invalid_input("yaml: " + e.msg, e.where));
    return false;
  } catch (const SecondDocument::Found& e) {
    errors->push_back(Status::invalid_input(
        "yaml: a second document starts here; a file holds one document", loc(file, e.mark)));
    return false;
  }
  if (root.where.line == 0) root.where = {file, 1, 1};
  *out = std::move(root);
  errors->insert(errors->end(), tree_errors.begin(), tree_errors.end());
  return tree_errors.empty();
}

void interpolate_scalars(engine::Value& v, const Interpolate& interpolate, std::vector<Status>* errors) {
  switch (v.kind) {
    case engine::Value::Kind::kScalar:
      if (v.scalar.find("{{") != std::string::npos) {
        auto r = interpolate(v.scalar);
        if (!r.is_ok()) errors->push_back(r.status().at(v.where));
        else v.scalar = std::move(*r);
      }
      break;
    case engine::Value::Kind::kList:
      for (auto& item : v.list) interpolate_scalars(item, interpolate, errors);
      break;
    case engine::Value::Kind::kMap:
      for (auto& e : v.map) interpolate_scalars(e.value, interpolate, errors);
      break;
    case engine::Value::Kind::kNull:
      break;
  }
}

Status check_json_limits(const std::string& text, const std::string& file) {
  if (text.size() > kMaxInputBytes)
    return Status::invalid_input(file + ": the file is " + std::to_string(text.size()) +
                                 " bytes, more than the limit of " + std::to_string(kMaxInputBytes));
  // Brackets outside strings, counted before nlohmann parses: its parser is iterative, but what
  // reads the result (merge, to_json, the template view) recurses once per level.
  int depth = 0, line = 1, col = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    ++col;
    if (c == '\n') ++line, col = 0;
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting)
        return Status::invalid_input("json: nesting deeper than " + std::to_string(kMaxNesting) + " levels",
                                     {file, line, col});
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::ok();
}

nlohmann::json to_json(const engine::Value& v) {
  switch (v.kind) {
    case engine::Value::Kind::kNull: return nullptr;
    case engine::Value::Kind::kScalar: {
      if (v.quoted) return v.scalar;
      if (v.scalar == "true") return true;
      if (v.scalar == "false") return false;
      if (!v.scalar.empty()) {
        // A number only when all of it was read and it fits: past int64 (or double) the text is
        // kept as written instead of turning into LLONG_MAX (or inf, which JSON prints as null).
        const char* text_end = v.scalar.c_str() + v.scalar.size();
        char* end = nullptr;
        errno = 0;
        long long n = std::strtoll(v.scalar.c_str(), &end, 10);
        if (end == text_end && (v.scalar.size() == 1 || v.scalar[0] != '0')) {
          if (errno != ERANGE) return n;
          return v.scalar;  // an integer past int64: not rounded to a double either
        }
        errno = 0;
        double d = std::strtod(v.scalar.c_str(), &end);
        if (end == text_end && errno != ERANGE && std::isfinite(d) &&
            v.scalar.find_first_of("0123456789") != std::string::npos &&
            v.scalar.find_first_not_of("0123456789.-+eE") == std::string::npos)
          return d;
      }
      return v.scalar;
    }
    case engine::Value::Kind::kList: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : v.list) a.push_back(to_json(item));
      return a;
    }
    case engine::Value::Kind::kMap: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& e : v.map) o[e.key] = to_json(e.value);
      return o;
    }
  }
  return nullptr;
}

Result<std::string> read_text_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io("open " + path, errno);
  std::string out;
  const int e = read_fd_to_end(fd, size_t{1} << 30, &out);
  ::close(fd);
  if (e == EFBIG) return Status::io_msg("read " + path + ": larger than 1 GiB");
  if (e != 0) return Status::io("read " + path, e);
  return out;
}

}  // namespace roux::compiler
