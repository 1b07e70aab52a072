#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace roux::sources {

/// Ed25519 signing keys and the set of public keys a client trusts (OpenSSL EVP).
///
/// Keys are PEM files: PREFIX.key (PKCS#8 private key, mode 0600) and PREFIX.pub
/// (SubjectPublicKeyInfo). A key's id is the first 16 hex digits of the SHA-256 of its raw
/// 32-byte public key. A detached signature file is one line of text:
///   roux-ed25519 KEY_ID BASE64_SIGNATURE
/// signing the exact bytes of the file it sits beside (a tarball, or the supermarket index).

/// Writes a fresh key pair to PREFIX.key (0600) and PREFIX.pub (0644). Refuses to overwrite an
/// existing file. Returns the key id.
Result<std::string> generate_key_pair(const std::string& prefix);

/// A private key loaded for signing. Owns its OpenSSL object; movable, not copyable; not
/// thread-safe.
class SigningKey {
 public:
  /// Loads a PEM private key; fails with kInvalidInput when it is not an Ed25519 private key.
  static Result<SigningKey> load(const std::string& path);
  SigningKey(SigningKey&& o) noexcept : pkey_(o.pkey_), id_(std::move(o.id_)) { o.pkey_ = nullptr; }
  SigningKey& operator=(SigningKey&&) = delete;
  SigningKey(const SigningKey&) = delete;
  ~SigningKey();
  const std::string& id() const { return id_; }
  /// The signature file text (one line, newline-terminated) for `data`.
  Result<std::string> sign(std::string_view data) const;

 private:
  SigningKey() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*
  std::string id_;
};

/// The public keys a client trusts, by key id. Immutable after loading; thread-safe to read.
class TrustStore {
 public:
  TrustStore() = default;
  /// Loads each PEM public key file; a missing or malformed file (or a private key file given by
  /// mistake) is an error naming it.
  static Result<TrustStore> load(const std::vector<std::string>& public_key_files);
  bool empty() const { return keys_.empty(); }
  /// The ids of the trusted keys, sorted.
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [id, raw] : keys_) out.push_back(id);
    return out;
  }
  /// Checks `signature_text` (a signature file's content) over `data`. `what` names the signed
  /// file in messages. Fails with kUntrusted, the message saying which check failed:
  ///   "WHAT: signature is malformed", "WHAT: signed by key K, which is not trusted (trusted: ...)",
  ///   "WHAT: signature does not match its content (key K)", "WHAT: no trusted keys configured".
  /// Returns the key id that signed it.
  Result<std::string> verify(std::string_view data, std::string_view signature_text, const std::string& what) const;

 private:
  std::map<std::string, std::string> keys_;  // key id -> raw 32-byte public key
};

/// Key id of a raw 32-byte Ed25519 public key.
std::string key_id_of(std::string_view raw_public_key);

}  // namespace roux::sources
