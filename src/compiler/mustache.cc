#include "compiler/mustache.h"

#include <kainjow/mustache.hpp>

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
    default: return data(j.dump());
  }
}

}  // namespace

struct Renderer::Impl {
  data view;
};

Renderer::Renderer(const nlohmann::json& view) : impl_(std::make_unique<Impl>(Impl{to_data(view)})) {}
Renderer::~Renderer() = default;

Result<std::string> Renderer::render(const std::string& tmpl, const nlohmann::json* variables) const {
  kainjow::mustache::mustache m(tmpl);
  if (!m.is_valid()) return Status::invalid_input("template: " + m.error_message());
  m.set_custom_escape([](const std::string& s) { return s; });
  std::string out;
  if (variables && variables->is_object() && !variables->empty()) {
    data d = impl_->view;
    for (const auto& [k, v] : variables->items()) d.set(k, to_data(v));
    out = m.render(d);
  } else {
    out = m.render(impl_->view);
  }
  if (!m.is_valid()) return Status::invalid_input("template: " + m.error_message());
  return out;
}

}  // namespace roux::compiler
