// ini: one `key = value` in a [section] of an ini-style file roux does not own (php.ini, my.cnf,
// systemd-style drop-ins of other tools...): present with a value, or absent. Comments and
// every other line are kept; the file is written atomically through the host door with its own
// mode and owner; plan shows the unified diff.
#include "resources/ini.h"

#include <optional>

#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/text_edit.h"

namespace roux::resources {
namespace {

/// The section a line opens ("[ name ]" -> "name"), or nullopt.
std::optional<std::string> section_of(const std::string& text) {
  std::string_view t = trim(text);
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') return std::nullopt;
  return std::string(trim(t.substr(1, t.size() - 2)));
}

/// The key of a setting line ("  key = v" -> "key"), or nullopt for comments and other lines.
std::optional<std::string> key_of(const std::string& text, std::string* value) {
  std::string_view t = trim(text);
  if (t.empty() || t[0] == ';' || t[0] == '#' || t[0] == '[') return std::nullopt;
  size_t eq = t.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  if (value) *value = std::string(trim(t.substr(eq + 1)));
  return std::string(trim(t.substr(0, eq)));
}

}  // namespace

std::string edit_ini(const std::string& content, const IniSpec& spec) {
  std::vector<TextLine> lines = split_text_lines(content);
  // The section's range [begin, end): after its header (or from the top) up to the next header.
  size_t begin = 0, end = lines.size();
  bool found = spec.section.empty();
  for (size_t i = 0; i < lines.size(); ++i) {
    auto s = section_of(lines[i].text);
    if (!s) continue;
    if (found) {
      end = i;
      break;
    }
    if (*s == spec.section) {
      found = true;
      begin = i + 1;
    }
  }
  const std::string setting = spec.key + spec.separator + spec.value;
  if (!found) {
    if (spec.absent) return content;
    if (!lines.empty() && !trim(lines.back().text).empty()) append_text_line(lines, "");
    append_text_line(lines, "[" + spec.section + "]");
    append_text_line(lines, setting);
    return join_text_lines(lines);
  }
  if (spec.absent) {
    std::vector<TextLine> kept;
    for (size_t i = 0; i < lines.size(); ++i)
      if (i < begin || i >= end || key_of(lines[i].text, nullptr) != spec.key) kept.push_back(lines[i]);
    return join_text_lines(kept);
  }
  for (size_t i = begin; i < end; ++i) {
    std::string value;
    if (key_of(lines[i].text, &value) != spec.key) continue;
    if (value == spec.value) return content;
    size_t indent = lines[i].text.find_first_not_of(" \t");
    lines[i].text = lines[i].text.substr(0, indent) + setting;
    return join_text_lines(lines);
  }
  // Not there: after the section's last non-blank line (its header when it is empty).
  size_t at = begin;
  for (size_t i = begin; i < end; ++i)
    if (!trim(lines[i].text).empty()) at = i + 1;
  if (at == lines.size()) {
    append_text_line(lines, setting);
  } else {
    if (at > 0 && lines[at - 1].eol.empty()) lines[at - 1].eol = "\n";
    lines.insert(lines.begin() + static_cast<long>(at), TextLine{setting, at > 0 ? lines[at - 1].eol : "\n"});
  }
  return join_text_lines(lines);
}

namespace {

class IniResource : public engine::Resource {
 public:
  explicit IniResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "ini"; }
  std::vector<std::string> implicit_deps() const override { return edited_file_deps(path); }
  Status converge(engine::ConvergeContext& ctx) override {
    return converge_edited_file(ctx, path, "ini", spec.absent,
                                [&](const std::string& have) -> Result<std::string> { return edit_ini(have, spec); });
  }
  std::string path;
  IniSpec spec;
};

bool bad_char(std::string_view s) {
  for (char c : s)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

}  // namespace

engine::ResourceType ini_type() {
  return {"ini", "one key = value in a [section] of an ini file roux does not own (present/absent)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<IniResource>(name);
            auto path = host::normalize_path(props.required_string("path"));
            if (!path.is_ok() && props.has("path")) props.error("path", path.status().message());
            else if (path.is_ok()) r->path = *path;
            r->spec.absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->spec.section = props.string("section").value_or("");
            if (bad_char(r->spec.section) || r->spec.section.find_first_of("[]") != std::string::npos ||
                trim(r->spec.section) != r->spec.section)
              props.error("section", "\"" + one_line(r->spec.section) +
                                         "\" is not a section name (no brackets, control characters or blanks at the ends)");
            r->spec.key = props.required_string("key");
            if (props.has("key") && (r->spec.key.empty() || bad_char(r->spec.key) ||
                                     r->spec.key.find_first_of("=[]") != std::string::npos || r->spec.key[0] == ';' ||
                                     r->spec.key[0] == '#' || trim(r->spec.key) != r->spec.key))
              props.error("key", "\"" + one_line(r->spec.key) +
                                     "\" is not a key (no =, brackets, control characters, leading ; or #, blanks at the ends)");
            auto value = props.string("value");
            if (!r->spec.absent && !value) props.error("value", "is required");
            if (r->spec.absent && value) props.error("value", "has no meaning with ensure: absent");
            if (value && (bad_char(*value) || trim(*value) != *value))
              props.error("value", "must be one line without control characters or blanks at the ends (ini readers trim them)");
            else if (value) r->spec.value = *value;
            if (auto sep = props.string("separator")) {
              if (trim(*sep) != "=") props.error("separator", "must be = with optional blanks around it (\" = \", \"=\")");
              else r->spec.separator = *sep;
            }
            return r;
          }};
}

}  // namespace roux::resources
