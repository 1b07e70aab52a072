#pragma once
#include <string>
#include <string_view>

namespace roux {

/// Incremental SHA-256 (OpenSSL's low-level SHA256_*: no library initialisation). Not thread-safe;
/// one per computation.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  /// Lower-case hex digest; the object is spent afterwards.
  std::string hex_digest();

 private:
  void* ctx_;
};

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lower-case hex HMAC-SHA-256 of `data` under `key` (OpenSSL). Never fails.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace roux
