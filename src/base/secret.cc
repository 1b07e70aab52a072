#include "base/secret.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "base/atomic_file.h"
#include "base/strings.h"

namespace roux::secret {
namespace {

constexpr std::string_view kPrefix = "ENC[roux,v1,";
constexpr size_t kPub = 32, kNonce = 12, kTag = 16;
constexpr std::string_view kAad = "roux:v1";
constexpr std::string_view kInfo = "roux secret v1";

using Bytes = std::vector<unsigned char>;
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string base64(const Bytes& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool unbase64(std::string_view in, Bytes* out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  out->assign(in.size() / 4 * 3, 0);
  int n = EVP_DecodeBlock(out->data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out->resize(static_cast<size_t>(n) - pad);
  return true;
}

Bytes raw_public(EVP_PKEY* key) {
  Bytes b(kPub);
  size_t len = kPub;
  if (EVP_PKEY_get_raw_public_key(key, b.data(), &len) != 1 || len != kPub) return {};
  return b;
}

/// X25519(ours, theirs) -> HKDF-SHA256(salt = eph_pub | recipient_pub) -> 32-byte key.
bool derive_key(EVP_PKEY* ours, EVP_PKEY* theirs, const Bytes& eph_pub, const Bytes& recipient_pub, Bytes* key) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(ours, nullptr),
                                                                  EVP_PKEY_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), theirs) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    return false;
  Bytes shared(len);
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1) return false;
  Bytes salt = eph_pub;
  salt.insert(salt.end(), recipient_pub.begin(), recipient_pub.end());
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> kdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                  EVP_PKEY_CTX_free);
  key->assign(32, 0);
  size_t klen = 32;
  bool ok = kdf && EVP_PKEY_derive_init(kdf.get()) == 1 && EVP_PKEY_CTX_set_hkdf_md(kdf.get(), EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set1_hkdf_salt(kdf.get(), salt.data(), static_cast<int>(salt.size())) == 1 &&
            EVP_PKEY_CTX_set1_hkdf_key(kdf.get(), shared.data(), static_cast<int>(shared.size())) == 1 &&
            EVP_PKEY_CTX_add1_hkdf_info(kdf.get(), reinterpret_cast<const unsigned char*>(kInfo.data()),
                                        static_cast<int>(kInfo.size())) == 1 &&
            EVP_PKEY_derive(kdf.get(), key->data(), &klen) == 1 && klen == 32;
  OPENSSL_cleanse(shared.data(), shared.size());
  return ok;
}

/// AES-256-GCM; `encrypt` false decrypts `in` (ciphertext) checking `tag`.
bool aes_gcm(bool encrypt, const Bytes& key, const Bytes& nonce, const Bytes& in, Bytes* out, Bytes* tag) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!c) return false;
  int len = 0;
  if (EVP_CipherInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(c.get(), nullptr, nullptr, key.data(), nonce.data(), -1) != 1 ||
      EVP_CipherUpdate(c.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kAad.data()),
                       static_cast<int>(kAad.size())) != 1)
    return false;
  out->assign(in.size() + 16, 0);
  int n = 0;
  if (!in.empty() && EVP_CipherUpdate(c.get(), out->data(), &n, in.data(), static_cast<int>(in.size())) != 1)
    return false;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag->data()) != 1)
    return false;
  int fin = 0;
  if (EVP_CipherFinal_ex(c.get(), out->data() + n, &fin) != 1) return false;
  out->resize(static_cast<size_t>(n + fin));
  if (encrypt) {
    tag->assign(kTag, 0);
    if (EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), tag->data()) != 1) return false;
  }
  return true;
}

Pkey read_pem(const std::string& file, bool is_private) {
  FILE* f = std::fopen(file.c_str(), "re");
  if (!f) return nullptr;
  EVP_PKEY* k = is_private ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (k && EVP_PKEY_get_id(k) != EVP_PKEY_X25519) {
    EVP_PKEY_free(k);
    return nullptr;
  }
  return Pkey(k);
}

}  // namespace

bool is_encrypted(std::string_view text) {
  text = trim(text);
  return text.size() > kPrefix.size() + 1 && text.substr(0, kPrefix.size()) == kPrefix && text.back() == ']';
}

Status keygen(const std::string& prefix) {
  forbid_core_dumps();
  std::string priv = prefix + ".key", pub = prefix + ".pub";
  struct stat st;
  if (::stat(priv.c_str(), &st) == 0 || ::stat(pub.c_str(), &st) == 0)
    return Status::conflict("secret keygen: " + priv + " or " + pub + " already exists; refusing to overwrite a key");
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (!key) return Status::internal("secret keygen: X25519 key generation failed");
  // PEM text in memory, then the one atomic writer (exclusive: an existing key is never
  // replaced, a planted link never followed, a crash never leaves half a key).
  auto pem = [&](bool is_private) -> std::string {
    BIO* b = BIO_new(BIO_s_mem());
    if (!b) return "";
    int ok = is_private ? PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                        : PEM_write_bio_PUBKEY(b, key.get());
    char* data = nullptr;
    long n = ok == 1 ? BIO_get_mem_data(b, &data) : 0;
    std::string out = n > 0 ? std::string(data, static_cast<size_t>(n)) : "";
    if (n > 0) OPENSSL_cleanse(data, static_cast<size_t>(n));
    BIO_free(b);
    return out;
  };
  std::string priv_pem = pem(true), pub_pem = pem(false);
  if (priv_pem.empty() || pub_pem.empty()) return Status::internal("secret keygen: PEM encoding failed");
  Status s = write_file_atomic(priv, priv_pem, 0600, /*exclusive=*/true);
  OPENSSL_cleanse(priv_pem.data(), priv_pem.size());
  if (!s.is_ok()) return s.with_context("secret keygen");
  if (Status sp = write_file_atomic(pub, pub_pem, 0644, /*exclusive=*/true); !sp.is_ok()) {
    ::unlink(priv.c_str());
    return sp.with_context("secret keygen");
  }
  return Status::ok();
}

void forbid_core_dumps() {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // The soft limit only: commands roux starts inherit it (0 is Debian's default anyway) and may
  // raise it again; roux itself never does.
  rlimit lim{};
  if (getrlimit(RLIMIT_CORE, &lim) == 0) {
    lim.rlim_cur = 0;
    setrlimit(RLIMIT_CORE, &lim);
  }
}

Result<std::string> encrypt(std::string_view plaintext, const std::string& public_key_file) {
  forbid_core_dumps();
  Pkey recipient = read_pem(public_key_file, false);
  if (!recipient) return Status::invalid_input("secret: " + public_key_file + ": not a PEM X25519 public key");
  Pkey eph(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (!eph) return Status::internal("secret: key generation failed");
  Bytes eph_pub = raw_public(eph.get()), rec_pub = raw_public(recipient.get());
  Bytes key, nonce(kNonce), ct, tag;
  if (RAND_bytes(nonce.data(), static_cast<int>(kNonce)) != 1 || eph_pub.empty() || rec_pub.empty() ||
      !derive_key(eph.get(), recipient.get(), eph_pub, rec_pub, &key) ||
      !aes_gcm(true, key, nonce, Bytes(plaintext.begin(), plaintext.end()), &ct, &tag))
    return Status::internal("secret: encryption failed");
  OPENSSL_cleanse(key.data(), key.size());
  Bytes blob = eph_pub;
  blob.insert(blob.end(), nonce.begin(), nonce.end());
  blob.insert(blob.end(), ct.begin(), ct.end());
  blob.insert(blob.end(), tag.begin(), tag.end());
  return std::string(kPrefix) + base64(blob) + "]";
}

Result<PrivateKey> PrivateKey::load(const std::string& file) {
  forbid_core_dumps();  // the key, and every plaintext it opens, must never reach a core file
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return Status::io("secret key " + file, errno);
  Pkey k = read_pem(file, true);
  if (!k) return Status::invalid_input("secret key " + file + ": not a PEM X25519 private key");
  PrivateKey out;
  out.pkey_ = k.release();
  out.file_ = file;
  return out;
}

PrivateKey::PrivateKey(PrivateKey&& o) noexcept : pkey_(o.pkey_), file_(std::move(o.file_)) { o.pkey_ = nullptr; }
PrivateKey& PrivateKey::operator=(PrivateKey&& o) noexcept {
  std::swap(pkey_, o.pkey_);
  std::swap(file_, o.file_);
  return *this;
}
PrivateKey::~PrivateKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

Result<std::string> PrivateKey::decrypt(std::string_view encrypted) const {
  std::string_view t = trim(encrypted);
  if (!is_encrypted(t)) return Status::invalid_input("secret: not an ENC[roux,v1,...] value");
  Bytes blob;
  if (!unbase64(t.substr(kPrefix.size(), t.size() - kPrefix.size() - 1), &blob) || blob.size() < kPub + kNonce + kTag)
    return Status::invalid_input("secret: malformed ENC[roux,v1,...] value (bad base64 or too short)");
  auto* ours = static_cast<EVP_PKEY*>(pkey_);
  Bytes eph_pub(blob.begin(), blob.begin() + kPub);
  Bytes nonce(blob.begin() + kPub, blob.begin() + kPub + kNonce);
  Bytes ct(blob.begin() + kPub + kNonce, blob.end() - kTag);
  Bytes tag(blob.end() - kTag, blob.end());
  Pkey eph(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, eph_pub.data(), kPub));
  Bytes key, pt, my_pub = raw_public(ours);
  if (!eph || my_pub.empty() || !derive_key(ours, eph.get(), eph_pub, my_pub, &key))
    return Status::untrusted("secret: cannot derive the key");
  bool ok = aes_gcm(false, key, nonce, ct, &pt, &tag);
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok)
    return Status::untrusted("secret: cannot decrypt with key " + file_ +
                             ": the value was not encrypted for this key, or was altered");
  return std::string(pt.begin(), pt.end());
}

}  // namespace roux::secret
