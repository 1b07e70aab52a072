#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/secret.h"
#include "base/status.h"
#include "engine/value.h"

namespace roux::compiler {

/// Turns ENC[roux,v1,...] values of recipes and attributes into plaintext at compile time, on
/// the host, with the host's private key; every plaintext is marked sensitive and handed to the
/// global redactor. Owned by one compile; not thread-safe.
class SecretDecrypter {
 public:
  /// `key_file` "" = no key configured. With `required`, a secret then is an error (converge);
  /// without (validate), secrets stay encrypted but are still marked sensitive.
  SecretDecrypter(std::string key_file = "", bool required = false);

  /// Decrypts every ENC scalar in `v` (a resource or a verify check), marking it and the maps
  /// and lists that hold it sensitive. Errors point at the scalar and never hold its text.
  void decrypt_value(engine::Value& v, std::vector<Status>* errors);
  /// Decrypts every ENC string in merged attributes; errors name the attribute path.
  void decrypt_json(nlohmann::json& j, const std::string& path, std::vector<Status>* errors);

 private:
  /// The plaintext, or an error without the value. Loads the key on first use.
  Result<std::string> open(const std::string& encrypted);

  std::string key_file_;
  bool required_;
  bool tried_ = false;
  Status key_error_;
  std::unique_ptr<secret::PrivateKey> key_;
};

/// Marks every scalar of `v` that contains a known secret plaintext (an attribute interpolated
/// into it) sensitive, and every map or list holding a sensitive value. Returns v.sensitive.
bool mark_sensitive(engine::Value& v);

}  // namespace roux::compiler
