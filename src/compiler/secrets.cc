#include "compiler/secrets.h"

#include "base/redact.h"

namespace roux::compiler {

SecretDecrypter::SecretDecrypter(std::string key_file, bool required)
    : key_file_(std::move(key_file)), required_(required) {}

Result<std::string> SecretDecrypter::open(const std::string& encrypted) {
  if (!tried_) {
    tried_ = true;
    if (!key_file_.empty()) {
      auto k = secret::PrivateKey::load(key_file_);
      if (k.is_ok()) key_ = std::make_unique<secret::PrivateKey>(std::move(*k));
      else key_error_ = k.status();
    }
  }
  if (!key_error_.is_ok()) return key_error_;
  if (!key_) {
    if (!required_) return std::string();  // validate: keep it encrypted
    return Status::invalid_input("secret: no key to decrypt it: set secret_key: in the client config or pass --secret-key");
  }
  auto plain = key_->decrypt(encrypted);
  if (plain.is_ok()) redact::add_secret(*plain);
  return plain;
}

void SecretDecrypter::decrypt_value(engine::Value& v, std::vector<Status>* errors) {
  switch (v.kind) {
    case engine::Value::Kind::kScalar:
      if (secret::is_encrypted(v.scalar)) {
        v.sensitive = true;
        auto plain = open(v.scalar);
        if (!plain.is_ok()) {
          errors->push_back(Status::invalid_input(plain.status().message(), v.where));
        } else if (key_) {
          v.scalar = std::move(*plain);
          v.quoted = true;  // a secret is text, never a number or a boolean
        }
      }
      break;
    case engine::Value::Kind::kList:
      for (auto& item : v.list) {
        decrypt_value(item, errors);
        v.sensitive = v.sensitive || item.sensitive;
      }
      break;
    case engine::Value::Kind::kMap:
      for (auto& e : v.map) {
        decrypt_value(e.value, errors);
        v.sensitive = v.sensitive || e.value.sensitive;
      }
      break;
    case engine::Value::Kind::kNull: break;
  }
}

void SecretDecrypter::decrypt_json(nlohmann::json& j, const std::string& path, std::vector<Status>* errors) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (!secret::is_encrypted(s)) return;
    auto plain = open(s);
    if (!plain.is_ok()) errors->push_back(Status::invalid_input(path + ": " + plain.status().message()));
    else if (key_) j = std::move(*plain);
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items()) decrypt_json(v, path + "." + k, errors);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) decrypt_json(j[i], path + "[" + std::to_string(i) + "]", errors);
  }
}

bool mark_sensitive(engine::Value& v) {
  switch (v.kind) {
    case engine::Value::Kind::kScalar:
      if (!v.sensitive && redact::contains_secret(v.scalar)) v.sensitive = true;
      break;
    case engine::Value::Kind::kList:
      for (auto& item : v.list) v.sensitive = mark_sensitive(item) || v.sensitive;
      break;
    case engine::Value::Kind::kMap:
      for (auto& e : v.map) v.sensitive = mark_sensitive(e.value) || v.sensitive;
      break;
    case engine::Value::Kind::kNull: break;
  }
  return v.sensitive;
}

}  // namespace roux::compiler
