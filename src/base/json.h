#pragma once
// JSON at roux's edges. Out: text that is always valid JSON, whatever bytes the host handed us.
// In: values read from files and the network, where a field of the wrong type is ordinary
// (a hand-edited file, a torn write, another tool's output) and must never throw.
#include <string>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace roux {

/// j.dump(indent), never throwing: a string (or key) that is not valid UTF-8 is written as
/// utf8_or_latin1 of its bytes (base/strings.h: each stray byte is its Latin-1 character), where
/// nlohmann would throw type_error 316. Text that is already UTF-8 costs nothing extra.
std::string json_dump(const nlohmann::json& j, int indent = -1);
std::string json_dump(const nlohmann::ordered_json& j, int indent = -1);

/// Field `key` of `j` when `j` is an object holding it with that type; `def` otherwise.
template <class J>
std::string json_string(const J& j, const char* key, std::string def = {}) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->template get<std::string>() : def;
}
template <class J>
double json_number(const J& j, const char* key, double def = 0) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->template get<double>() : def;
}
/// An integer field; a float, a string or an integer outside int's range gives `def`.
template <class J>
int json_int(const J& j, const char* key, int def = 0) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return def;
  if (it->is_number_unsigned()) {
    auto u = it->template get<uint64_t>();
    return u <= static_cast<uint64_t>(INT32_MAX) ? static_cast<int>(u) : def;
  }
  auto i = it->template get<int64_t>();
  return i >= INT32_MIN && i <= INT32_MAX ? static_cast<int>(i) : def;
}
/// Field `key` when it is an object (or an array, for json_array); an empty one otherwise.
template <class J>
J json_object(const J& j, const char* key) {
  if (j.is_object())
    if (auto it = j.find(key); it != j.end() && it->is_object()) return *it;
  return J::object();
}
template <class J>
J json_array(const J& j, const char* key) {
  if (j.is_object())
    if (auto it = j.find(key); it != j.end() && it->is_array()) return *it;
  return J::array();
}

}  // namespace roux
