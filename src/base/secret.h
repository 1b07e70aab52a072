#pragma once
#include <string>
#include <string_view>

#include "base/status.h"

namespace roux::secret {

// Encrypted values ("secrets") for a host or group key. Scheme v1: an ephemeral X25519 key
// agreement with the recipient's public key, HKDF-SHA256 over the shared secret (salt = both
// public keys, info "roux secret v1") to a 256-bit key, and AES-256-GCM (12-byte random nonce,
// 16-byte tag, AAD "roux:v1"). All via OpenSSL EVP. The text form, usable anywhere a recipe or
// attribute holds a string:
//
//   ENC[roux,v1,BASE64(ephemeral public key 32 | nonce 12 | ciphertext | tag 16)]
//
// Keys are PEM files: PKCS#8 private key (mode 0600) and SubjectPublicKeyInfo public key.

/// Keeps secrets out of core dumps from now on: the process becomes non-dumpable
/// (prctl(PR_SET_DUMPABLE, 0): no core file, no ptrace attach or /proc/PID/mem by the same
/// user) and its soft core size limit 0 (RLIMIT_CORE). Called before any private key or
/// plaintext is held: keygen, encrypt, PrivateKey::load. Idempotent. Commands roux starts
/// inherit the zero soft limit (they may raise it); execve resets the dumpable flag.
void forbid_core_dumps();

/// True when `text` is exactly one ENC[roux,...] value (surrounding blanks allowed).
bool is_encrypted(std::string_view text);

/// Writes a new X25519 key pair: `prefix`.key (0600, created exclusively) and `prefix`.pub.
/// Fails, writing nothing, when either exists.
Status keygen(const std::string& prefix);

/// Encrypts `plaintext` for the public key in PEM file `public_key_file`; returns ENC[roux,v1,...].
Result<std::string> encrypt(std::string_view plaintext, const std::string& public_key_file);

/// A loaded private key, kept for the run. Not copyable; thread-compatible.
class PrivateKey {
 public:
  /// Reads a PEM X25519 private key. The error names the file, never key material.
  static Result<PrivateKey> load(const std::string& file);
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();
  const std::string& file() const { return file_; }

  /// Decrypts an ENC[roux,...] value. Errors are fixed texts ("not encrypted for this key, or
  /// altered") that contain nothing of the value.
  Result<std::string> decrypt(std::string_view encrypted) const;

 private:
  PrivateKey() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*
  std::string file_;
};

}  // namespace roux::secret
