#include "base/json.h"

#include "base/strings.h"

namespace roux {
namespace {

// A copy of `j` whose strings and keys are all valid UTF-8 (object order kept).
template <class J>
J to_utf8(const J& j) {
  if (j.is_string()) return utf8_or_latin1(j.template get_ref<const std::string&>());
  if (j.is_array()) {
    J out = J::array();
    for (const auto& v : j) out.push_back(to_utf8(v));
    return out;
  }
  if (j.is_object()) {
    J out = J::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[utf8_or_latin1(it.key())] = to_utf8(it.value());
    return out;
  }
  return j;
}

template <class J>
std::string dump(const J& j, int indent) {
  try {
    return j.dump(indent);
  } catch (const nlohmann::json::type_error&) {
    // 316: a string is not UTF-8. The slow path, taken only for such text.
  }
  // `replace` is only a last guard: after to_utf8 there is nothing left for it to replace.
  return to_utf8(j).dump(indent, ' ', false, nlohmann::detail::error_handler_t::replace);
}

}  // namespace

std::string json_dump(const nlohmann::json& j, int indent) { return dump(j, indent); }
std::string json_dump(const nlohmann::ordered_json& j, int indent) { return dump(j, indent); }

}  // namespace roux
