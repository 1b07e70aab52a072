// line: one line in a file roux does not own (sshd_config, sudoers.d, limits.conf...): present
// (replacing what a regular expression matches, or inserted after a match, or appended) or
// absent. Every other line is kept byte for byte; the file is written atomically through the
// host door with its own mode and owner; plan shows the unified diff.
#include "resources/line.h"

#include <algorithm>

#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/text_edit.h"

namespace roux::resources {

std::shared_ptr<const std::regex> compile_line_regex(const std::string& pattern, std::string* why) {
  if (pattern.empty()) {
    *why = "must not be empty";
    return nullptr;
  }
  if (pattern.size() > kMaxRegexPattern) {
    *why = "is " + std::to_string(pattern.size()) + " bytes; at most " + std::to_string(kMaxRegexPattern);
    return nullptr;
  }
  try {
    return std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    *why = "is not a valid regular expression (ECMAScript): " + std::string(e.what());
    return nullptr;
  }
}

namespace {

/// Whether `re` finds a match in `text`; an error for a line too long to search safely (std::regex
/// recurses per character) or when the engine gives up.
Result<bool> search(const std::regex& re, const std::string& text, const std::string& path, size_t lineno) {
  if (text.size() > kMaxRegexLine)
    return Status::invalid_input(path + ": line " + std::to_string(lineno) + " is " + std::to_string(text.size()) +
                                 " bytes; regular expressions are searched in lines up to 16 KiB");
  try {
    return std::regex_search(text, re);
  } catch (const std::regex_error& e) {
    return Status::invalid_input(path + ": line " + std::to_string(lineno) + ": the regular expression gave up: " + e.what());
  }
}

}  // namespace

Result<std::string> edit_line(const std::string& content, const LineSpec& spec, const std::string& path) {
  std::vector<TextLine> lines = split_text_lines(content);
  if (spec.absent) {
    std::vector<TextLine> kept;
    for (size_t i = 0; i < lines.size(); ++i) {
      bool drop = !spec.line.empty() && lines[i].text == spec.line;
      if (!drop && spec.match) {
        ROUX_ASSIGN_OR_RETURN(drop, search(*spec.match, lines[i].text, path, i + 1));
      }
      if (!drop) kept.push_back(lines[i]);
    }
    // Removing the last line leaves the one before it as it was (terminated).
    return join_text_lines(kept);
  }
  for (const auto& l : lines)
    if (l.text == spec.line) return content;
  if (spec.match) {
    for (size_t i = 0; i < lines.size(); ++i) {
      ROUX_ASSIGN_OR_RETURN(bool hit, search(*spec.match, lines[i].text, path, i + 1));
      if (hit) {
        lines[i].text = spec.line;
        return join_text_lines(lines);
      }
    }
  }
  if (spec.after) {
    for (size_t i = 0; i < lines.size(); ++i) {
      ROUX_ASSIGN_OR_RETURN(bool hit, search(*spec.after, lines[i].text, path, i + 1));
      if (hit) {
        if (lines[i].eol.empty()) lines[i].eol = "\n";
        lines.insert(lines.begin() + static_cast<long>(i) + 1, TextLine{spec.line, lines[i].eol});
        return join_text_lines(lines);
      }
    }
  }
  append_text_line(lines, spec.line);
  return join_text_lines(lines);
}

namespace {

class LineResource : public engine::Resource {
 public:
  explicit LineResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "line"; }
  std::vector<std::string> implicit_deps() const override { return edited_file_deps(path); }
  Status converge(engine::ConvergeContext& ctx) override {
    return converge_edited_file(ctx, path, "line", spec.absent,
                                [&](const std::string& have) { return edit_line(have, spec, path); });
  }
  std::string path;
  LineSpec spec;
};

}  // namespace

engine::ResourceType line_type() {
  return {"line", "one line in a file roux does not own: present (replacing a regex match, after a match) or absent",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<LineResource>(name);
            std::string p = props.string("path").value_or(name);
            auto path = host::normalize_path(p);
            if (!path.is_ok() && props.has("path")) props.error("path", path.status().message());
            else if (!path.is_ok()) props.error(path.status().message() + " (the name is the file unless path: is given)");
            else r->path = *path;
            r->spec.absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            auto line = props.string("text");
            auto bad_char = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
            if (line && std::any_of(line->begin(), line->end(), bad_char))
              props.error("text", "must be one line without control characters (tabs are fine)");
            else if (line) r->spec.line = *line;
            for (const char* key : {"match", "after"}) {
              auto pattern = props.string(key);
              if (!pattern) continue;
              std::string why;
              auto re = compile_line_regex(*pattern, &why);
              if (!re) props.error(key, why);
              else (std::string(key) == "match" ? r->spec.match : r->spec.after) = re;
            }
            if (!r->spec.absent && !line) props.error("text", "is required (the line's text)");
            if (r->spec.absent && !line && !props.has("match")) props.error("text", "is required (or match, for ensure: absent)");
            if (r->spec.absent && props.has("after")) props.error("after", "has no meaning with ensure: absent");
            return r;
          }};
}

}  // namespace roux::resources
