#include "sources/trust.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <unistd.h>

#include <functional>
#include <memory>

#include "base/sha256.h"
#include "base/strings.h"
#include "sources/local_file.h"

namespace roux::sources {
namespace {

constexpr std::string_view kSigTag = "roux-ed25519";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Result<std::string> raw_public(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != 32) return Status::internal("ed25519: " + openssl_error());
  return std::string(reinterpret_cast<char*>(raw), len);
}

Result<std::string> bio_text(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get()) != 1) return Status::internal("pem: " + openssl_error());
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, size_t(n));
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  out.resize(size_t(n));
  return out;
}

// Decodes base64 of exactly `want` bytes; false on any malformation.
bool unbase64(std::string_view in, size_t want, std::string* out) {
  if (in.size() != 4 * ((want + 2) / 3)) return false;
  std::string buf(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  if (size_t(n) - pad != want) return false;
  *out = buf.substr(0, want);
  return true;
}

}  // namespace

std::string key_id_of(std::string_view raw_public_key) { return sha256_hex(raw_public_key).substr(0, 16); }

Result<std::string> generate_key_pair(const std::string& prefix) {
  const std::string key_path = prefix + ".key", pub_path = prefix + ".pub";
  for (const auto& p : {key_path, pub_path})
    if (::access(p.c_str(), F_OK) == 0) return Status::conflict(p + " already exists; refusing to overwrite a key");
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Status::internal("ed25519 keygen: " + openssl_error());
  ROUX_ASSIGN_OR_RETURN(std::string priv, bio_text([&](BIO* b) {
                          return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
                        }));
  ROUX_ASSIGN_OR_RETURN(std::string pub, bio_text([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); }));
  ROUX_ASSIGN_OR_RETURN(std::string raw, raw_public(key.get()));
  ROUX_TRY(write_local_file_atomic(key_path, priv, 0600, true));
  ROUX_TRY(write_local_file_atomic(pub_path, pub, 0644, true));
  return key_id_of(raw);
}

SigningKey::~SigningKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

Result<SigningKey> SigningKey::load(const std::string& path) {
  ROUX_ASSIGN_OR_RETURN(std::string pem, read_local_file(path, 1 << 16));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), &BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return Status::invalid_input(path + ": not an Ed25519 private key (PEM); make one with `roux keygen`");
  ROUX_ASSIGN_OR_RETURN(std::string raw, raw_public(key.get()));
  SigningKey k;
  k.pkey_ = key.release();
  k.id_ = key_id_of(raw);
  return k;
}

Result<std::string> SigningKey::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_)) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::internal("ed25519 sign: " + openssl_error());
  return std::string(kSigTag) + " " + id_ + " " + base64(std::string_view(reinterpret_cast<char*>(sig), len)) + "\n";
}

Result<TrustStore> TrustStore::load(const std::vector<std::string>& public_key_files) {
  TrustStore store;
  for (const auto& path : public_key_files) {
    ROUX_ASSIGN_OR_RETURN(std::string pem, read_local_file(path, 1 << 16));
    if (pem.find("PRIVATE KEY") != std::string::npos)
      return Status::invalid_input("trusted key " + path + ": is a private key; trust the .pub file instead");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), &BIO_free);
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
      return Status::invalid_input("trusted key " + path + ": not an Ed25519 public key (PEM)");
    ROUX_ASSIGN_OR_RETURN(std::string raw, raw_public(key.get()));
    store.keys_[key_id_of(raw)] = raw;
  }
  return store;
}

Result<std::string> TrustStore::verify(std::string_view data, std::string_view sig_text, const std::string& what) const {
  if (keys_.empty())
    return Status::untrusted(what + ": signature check failed: no trusted keys configured (trusted_keys: in the client "
                                    "config, or --trust KEY.pub)");
  auto fields = split(trim(sig_text), ' ');
  std::string sig;
  if (fields.size() != 3 || fields[0] != kSigTag || fields[1].size() != 16 || !unbase64(fields[2], 64, &sig))
    return Status::untrusted(what + ": signature check failed: the signature file is malformed");
  const std::string& id = fields[1];
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    std::string known;
    for (const auto& [k, v] : keys_) known += (known.empty() ? "" : ", ") + k;
    return Status::untrusted(what + ": signature check failed: signed by key " + id + ", which is not trusted (trusted: " +
                             known + ")");
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(it->second.data()), 32));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return Status::internal("ed25519 verify: " + openssl_error());
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  if (rc != 1)
    return Status::untrusted(what + ": signature check failed: the signature does not match the content (key " + id +
                             "); the file or its signature was altered");
  return id;
}

}  // namespace roux::sources
