#include "base/sha256.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 (kept, not removed) in favour of EVP,
// whose first use initialises the library: reading openssl.cnf and registering every algorithm,
// 1-2 ms of CPU per process. A no-op hashes only recipe texts and desired states, so plain
// SHA-256 takes the low-level functions, which need no initialisation; HMAC stays on EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "base/status.h"

namespace roux {

namespace {

// Fetched once: with OpenSSL 3, EVP_sha256() makes every init look the algorithm up again,
// which costs more than hashing a small file.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ROUX_CHECK(md != nullptr);
  return md;
}

}  // namespace

Sha256::Sha256() : ctx_(new SHA256_CTX) { ROUX_CHECK(SHA256_Init(static_cast<SHA256_CTX*>(ctx_)) == 1); }

Sha256::~Sha256() { delete static_cast<SHA256_CTX*>(ctx_); }

void Sha256::update(std::string_view data) {
  ROUX_CHECK(SHA256_Update(static_cast<SHA256_CTX*>(ctx_), data.data(), data.size()) == 1);
}

std::string Sha256::hex_digest() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  ROUX_CHECK(SHA256_Final(md, static_cast<SHA256_CTX*>(ctx_)) == 1);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : md) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ROUX_CHECK(HMAC(sha256_md(), key.data(), static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) != nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

}  // namespace roux
