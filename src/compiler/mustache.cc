#include "compiler/mustache.h"

#include <kainjow/mustache.hpp>

#include <algorithm>

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

}  // namespace

struct Renderer::Impl {
  data view;
};

Renderer::Renderer(const nlohmann::json& view) : impl_(std::make_unique<Impl>(Impl{to_data(view)})) {}
Renderer::~Renderer() = default;

Result<std::string> Renderer::render(const std::string& tmpl, const nlohmann::json* variables) const {
  kainjow::mustache::mustache m(tmpl);
  if (!m.is_valid()) return Status::invalid_input("template: " + with_line_col(m.error_message(), tmpl));
  m.set_custom_escape([](const std::string& s) { return s; });
  std::string out;
  if (variables && variables->is_object() && !variables->empty()) {
    data d = impl_->view;
    for (const auto& [k, v] : variables->items()) d.set(k, to_data(v));
    out = m.render(d);
  } else {
    out = m.render(impl_->view);
  }
  if (!m.is_valid()) return Status::invalid_input("template: " + with_line_col(m.error_message(), tmpl));
  return out;
}

}  // namespace roux::compiler
