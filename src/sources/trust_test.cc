#include "sources/trust.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "sources/local_file.h"
#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

using KeyDir = roux::testing::TempDir;

TEST_CASE("trust: keygen, sign, verify, and each refusal names its check") {
  KeyDir d;
  auto id = generate_key_pair(d.path + "/a");
  REQUIRE(id.is_ok());
  CHECK(id->size() == 16);
  struct stat st;
  REQUIRE(::stat((d.path + "/a.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(generate_key_pair(d.path + "/a").status().code() == Code::kConflict);  // never overwrites
  REQUIRE(generate_key_pair(d.path + "/b").is_ok());

  auto key = SigningKey::load(d.path + "/a.key");
  REQUIRE(key.is_ok());
  CHECK(key->id() == *id);
  auto sig = key->sign("hello");
  REQUIRE(sig.is_ok());
  CHECK(sig->rfind("roux-ed25519 " + *id + " ", 0) == 0);

  auto trust = TrustStore::load({d.path + "/a.pub"});
  REQUIRE(trust.is_ok());
  CHECK(trust->verify("hello", *sig, "x").value() == *id);

  auto bad = trust->verify("hellO", *sig, "x");
  CHECK(bad.status().code() == Code::kUntrusted);
  CHECK(bad.status().message().find("does not match the content") != std::string::npos);

  std::string flipped = *sig;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(trust->verify("hello", flipped, "x").status().message().find("signature check failed") != std::string::npos);

  CHECK(trust->verify("hello", "garbage", "x").status().message().find("malformed") != std::string::npos);

  auto other = SigningKey::load(d.path + "/b.key");
  REQUIRE(other.is_ok());
  auto other_sig = other->sign("hello");
  REQUIRE(other_sig.is_ok());
  auto untrusted = trust->verify("hello", *other_sig, "x");
  CHECK(untrusted.status().message().find("signed by key " + other->id() + ", which is not trusted") != std::string::npos);

  CHECK(TrustStore{}.verify("hello", *sig, "x").status().message().find("no trusted keys") != std::string::npos);
  CHECK(TrustStore::load({d.path + "/a.key"}).status().message().find("is a private key") != std::string::npos);
  CHECK(SigningKey::load(d.path + "/a.pub").status().code() == Code::kInvalidInput);
  CHECK(!TrustStore::load({d.path + "/missing.pub"}).is_ok());
}

}  // namespace
}  // namespace roux::sources
