#include "base/secret.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "base/redact.h"

namespace roux::secret {

namespace {
std::string tmpdir() {
  char tmpl[] = "/tmp/roux-secret-test.XXXXXX";
  return mkdtemp(tmpl);
}
}  // namespace

TEST_CASE("secret: keygen, encrypt, decrypt round trip; a wrong key fails without the value") {
  std::string d = tmpdir();
  REQUIRE(keygen(d + "/host").is_ok());
  REQUIRE(keygen(d + "/other").is_ok());
  CHECK((std::filesystem::status(d + "/host.key").permissions() & std::filesystem::perms::group_read) ==
        std::filesystem::perms::none);
  CHECK_FALSE(keygen(d + "/host").is_ok());  // never overwrites a key
  auto enc = encrypt("s3cr3t-value\nline2", d + "/host.pub");
  REQUIRE(enc.is_ok());
  CHECK(is_encrypted(*enc));
  CHECK(enc->find("s3cr3t") == std::string::npos);
  auto again = encrypt("s3cr3t-value\nline2", d + "/host.pub");
  CHECK(*again != *enc);  // fresh ephemeral key and nonce each time
  auto key = PrivateKey::load(d + "/host.key");
  REQUIRE(key.is_ok());
  auto dec = key->decrypt(*enc);
  REQUIRE(dec.is_ok());
  CHECK(*dec == "s3cr3t-value\nline2");
  auto other = PrivateKey::load(d + "/other.key");
  REQUIRE(other.is_ok());
  auto bad = other->decrypt(*enc);
  CHECK_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("not encrypted for this key") != std::string::npos);
  // A flipped byte is refused (authenticated encryption).
  std::string tampered = *enc;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  CHECK_FALSE(key->decrypt(tampered).is_ok());
  CHECK_FALSE(key->decrypt("ENC[roux,v1,!!!]").is_ok());
  CHECK_FALSE(PrivateKey::load(d + "/host.pub").is_ok());
  std::filesystem::remove_all(d);
}

TEST_CASE("redact: plaintext, its lines and its base64 at any alignment are masked") {
  redact::clear();
  redact::add_secret("hunter2-Zq81x");
  CHECK(redact::redact("pw=hunter2-Zq81x;") == "pw=(secret);");
  CHECK(redact::contains_secret("xx hunter2-Zq81x"));
  // base64 of "hunter2-Zq81x", of "hunter2-Zq81x\n", and of "a:hunter2-Zq81x" (shifted).
  CHECK(redact::redact("aHVudGVyMi1acTgxeA==").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(redact::redact("aHVudGVyMi1acTgxeAo=").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(redact::redact("YTpodW50ZXIyLVpxODF4").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(redact::redact("YTpodW50ZXIyLVpxODF4").find("odW50ZXIyLVpxODF4") == std::string::npos);
  CHECK(redact::redact("nothing here") == "nothing here");
  redact::add_secret("ab");  // too short to mask safely: ignored
  CHECK(redact::redact("abc") == "abc");
  redact::clear();
}

}  // namespace roux::secret
