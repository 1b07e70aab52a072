#include "compiler/mustache.h"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include "base/strings.h"

#include "base/json.h"

namespace roux::compiler {
namespace {

using kainjow::mustache::data;

data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      data d(data::type::object);
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      data d(data::type::list);
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case nlohmann::json::value_t::string: return data(j.get<std::string>());
    case nlohmann::json::value_t::boolean: return data(j.get<bool>());
    case nlohmann::json::value_t::null: return data(false);
    default: return data(json_dump(j));
  }
}

/// kainjow reports positions as a character offset ("... at 21"); people want line:col.
std::string with_line_col(const std::string& msg, const std::string& text) {
  auto pos = msg.rfind(" at ");
  if (pos == std::string::npos || pos + 4 >= msg.size()) return msg;
  std::string num = msg.substr(pos + 4);
  if (num.find_first_not_of("0123456789") != std::string::npos) return msg;
  size_t offset = std::min<size_t>(std::stoul(num), text.size());
  int line = 1, col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return msg.substr(0, pos) + " at line " + std::to_string(line) + ", column " + std::to_string(col);
}

std::string line_col(const std::string& text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

/// What a template names, read from its text before kainjow parses it (kainjow keeps its parse
/// tree private): the variable tags ({{x}}, {{{x}}}, {{&x}}) with their first offset, the section
/// names (#, ^) with the longest body of each, and how deep sections nest. Follows set-delimiter
/// tags ({{=<% %>=}}). On a syntax error it stops: kainjow reports that.
struct TemplateTags {
  std::map<std::string, size_t> variables;    // name -> offset of its first tag
  std::map<std::string, size_t> section_body;  // name -> longest body, in bytes
  int depth = 0;                               // deepest section nesting
  size_t depth_at = 0;                         // where that depth was first passed
};

TemplateTags scan_tags(const std::string& t) {
  TemplateTags out;
  std::string open = "{{", close = "}}";
  std::vector<std::pair<std::string, size_t>> sections;  // open sections: name, body start
  size_t pos = 0;
  while ((pos = t.find(open, pos)) != std::string::npos) {
    size_t start = pos;
    size_t inner = pos + open.size();
    bool triple = open == "{{" && inner < t.size() && t[inner] == '{';
    size_t end = t.find(triple ? "}" + close : close, inner);
    if (end == std::string::npos) break;
    std::string body(trim(t.substr(inner + (triple ? 1 : 0), end - inner - (triple ? 1 : 0))));
    pos = end + close.size() + (triple ? 1 : 0);
    if (body.empty()) continue;
    char kind = triple ? '&' : body[0];
    std::string name(kind == '#' || kind == '^' || kind == '/' || kind == '&' || kind == '!' || kind == '>' || kind == '='
                         ? trim(triple ? std::string_view(body) : std::string_view(body).substr(1))
                         : std::string_view(body));
    switch (kind) {
      case '#':
      case '^':
        sections.emplace_back(name, pos);
        if (static_cast<int>(sections.size()) > out.depth) out.depth = static_cast<int>(sections.size()), out.depth_at = start;
        out.section_body.emplace(name, 0);
        break;
      case '/':
        if (sections.empty()) return out;
        out.section_body[sections.back().first] =
            std::max(out.section_body[sections.back().first], start - sections.back().second);
        sections.pop_back();
        break;
      case '!':
      case '>':
        break;
      case '=': {  // {{=<% %>=}}
        if (name.size() < 2 || name.back() != '=') return out;
        std::string spec(trim(std::string_view(name).substr(0, name.size() - 1)));
        auto sp = spec.find_first_of(" \t");
        if (sp == std::string::npos) return out;
        open = spec.substr(0, sp);
        close = std::string(trim(std::string_view(spec).substr(sp)));
        if (open.empty() || close.empty()) return out;
        break;
      }
      default:
        out.variables.emplace(name, start);
    }
  }
  return out;
}

/// Thrown out of kainjow's render (which lets it through) to stop a render that passed a limit
/// or named an undefined variable.
struct RenderStop {
  std::string msg;
};

/// The render's view with two checks kainjow does not make: a variable tag ({{x}}) whose name is
/// not defined is an error, unless the template also uses that name as a section ({{#x}} or
/// {{^x}}: the author handled a missing value); and the output is bounded. kainjow writes a line
/// only at its end, so the bound is computed before the text exists: every section body walked
/// (one push, or one inverted section) adds its longest body, every value adds its size.
class CheckedContext final : public kainjow::mustache::context<std::string> {
 public:
  CheckedContext(const data* view, const std::string& tmpl, const TemplateTags& tags)
      : context(view), tmpl_(tmpl), tags_(tags), bound_(tmpl.size()) {}

  const data* get(const std::string& name) const override {
    const data* v = context::get(name);
    last_ = name;
    auto body = tags_.section_body.find(name);
    add(1 + (body != tags_.section_body.end() ? body->second : 0) + (v && v->is_string() ? v->string_value().size() : 0));
    if (!v && body == tags_.section_body.end()) {
      auto var = tags_.variables.find(name);
      throw RenderStop{"{{" + name + "}} at " + line_col(tmpl_, var == tags_.variables.end() ? 0 : var->second) + ": \"" +
                       name + "\" is not defined (optional: {{#" + name + "}}...{{/" + name + "}}; with a default: {{^" +
                       name + "}}default{{/" + name + "}})"};
    }
    return v;
  }
  // Partials are not supported: a string used as a partial could include itself forever.
  const data* get_partial(const std::string&) const override { return nullptr; }
  // A push enters a section body: the section just looked up, or the next item of the one whose
  // item was just popped (an inner section may have been looked up in between).
  void push(const data* d) override {
    auto body = tags_.section_body.find(last_);
    add(1 + (body != tags_.section_body.end() ? body->second : 0));
    pushed_.push_back(last_);
    context::push(d);
  }
  void pop() override {
    if (!pushed_.empty()) {
      last_ = pushed_.back();
      pushed_.pop_back();
    }
    context::pop();
  }

 private:
  void add(size_t n) const {
    bound_ += n;
    if (bound_ > kMaxRenderedBytes)
      throw RenderStop{"the output would pass " + std::to_string(kMaxRenderedBytes) +
                       " bytes (sections nested over long lists?)"};
  }
  const std::string& tmpl_;
  const TemplateTags& tags_;
  mutable std::string last_;           // the last name looked up, or the section last left
  std::vector<std::string> pushed_;    // the section of each push still in effect
  mutable size_t bound_;
};

}  // namespace

struct Renderer::Impl {
  data view;
};

Renderer::Renderer(const nlohmann::json& view) : impl_(std::make_unique<Impl>(Impl{to_data(view)})) {}
Renderer::~Renderer() = default;

Result<std::string> Renderer::render(const std::string& tmpl, const nlohmann::json* variables) const {
  TemplateTags tags = scan_tags(tmpl);
  if (tags.depth > kMaxSectionNesting)
    return Status::invalid_input("template: sections nested deeper than " + std::to_string(kMaxSectionNesting) +
                                 " levels at " + line_col(tmpl, tags.depth_at));
  kainjow::mustache::mustache m(tmpl);
  if (!m.is_valid()) return Status::invalid_input("template: " + with_line_col(m.error_message(), tmpl));
  m.set_custom_escape([](const std::string& s) { return s; });
  // `variables` sit on top of the view (found first), without copying the view.
  data vars(data::type::object);
  if (variables && variables->is_object())
    for (const auto& [k, v] : variables->items()) vars.set(k, to_data(v));
  CheckedContext ctx(&impl_->view, tmpl, tags);
  ctx.push(&vars);
  std::string out;
  try {
    out = m.render(ctx);
  } catch (const RenderStop& stop) {
    return Status::invalid_input("template: " + stop.msg);
  }
  if (!m.is_valid()) return Status::invalid_input("template: " + with_line_col(m.error_message(), tmpl));
  return out;
}

}  // namespace roux::compiler
