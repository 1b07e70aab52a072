#include "base/secret.h"

#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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
  // A process that holds a key never dumps core (no plaintext in a core file).
  CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
  rlimit core{};
  REQUIRE(getrlimit(RLIMIT_CORE, &core) == 0);
  CHECK(core.rlim_cur == 0);
  std::filesystem::remove_all(d);
}

TEST_CASE("redact::Stream: a text given in pieces comes out as redact() of the whole, a secret split between pieces masked") {
  redact::clear();
  // Overlapping secrets (one inside another, one whose end begins the other) and the mask's own text.
  redact::add_secret("hunter2-Zq81x");
  redact::add_secret("Zq81x-tail");
  redact::add_secret("(sec");
  const std::string alphabet = "hunter2-Zq81x-tail(secret)\"\\n ";
  uint64_t seed = 12345;
  auto rnd = [&](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((seed >> 33) % n);
  };
  for (int round = 0; round < 400; ++round) {
    std::string text;
    size_t len = rnd(200);
    while (text.size() < len) {
      if (rnd(4) == 0) text += rnd(2) ? "hunter2-Zq81x" : "Zq81x-tail";
      else text += alphabet[rnd(alphabet.size())];
    }
    std::string out;
    size_t pieces = 0;
    redact::Stream stream([&](std::string_view p) {
      out.append(p);
      ++pieces;
      return Status::ok();
    });
    for (size_t at = 0; at < text.size();) {
      size_t n = std::min(text.size() - at, rnd(20));  // empty pieces too
      REQUIRE(stream.put(std::string_view(text).substr(at, n)).is_ok());
      at += n;
    }
    REQUIRE(stream.finish().is_ok());
    CHECK_MESSAGE(out == redact::redact(text), text);
  }
  // No secret known: the pieces go through as they are.
  redact::clear();
  std::string out;
  redact::Stream plain([&](std::string_view p) {
    out.append(p);
    return Status::ok();
  });
  CHECK(plain.put("ab").is_ok());
  CHECK(plain.put("cd").is_ok());
  CHECK(plain.finish().is_ok());
  CHECK(out == "abcd");
  // The sink's error stops the stream and is returned.
  redact::Stream failing([](std::string_view) { return Status::io_msg("disk full"); });
  CHECK(failing.put("x").to_string().find("disk full") != std::string::npos);
}

TEST_CASE("redact: plaintext, its lines and its base64 at any alignment are masked") {
  redact::clear();
  redact::add_secret("hunter2-Zq81x");
  CHECK(roux::redact::redact("pw=hunter2-Zq81x;") == "pw=(secret);");
  CHECK(roux::redact::contains_secret("xx hunter2-Zq81x"));
  // base64 of "hunter2-Zq81x", of "hunter2-Zq81x\n", and of "a:hunter2-Zq81x" (shifted).
  CHECK(roux::redact::redact("aHVudGVyMi1acTgxeA==").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(roux::redact::redact("aHVudGVyMi1acTgxeAo=").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(roux::redact::redact("YTpodW50ZXIyLVpxODF4").find("aHVudGVyMi1acTgx") == std::string::npos);
  CHECK(roux::redact::redact("YTpodW50ZXIyLVpxODF4").find("odW50ZXIyLVpxODF4") == std::string::npos);
  CHECK(roux::redact::redact("nothing here") == "nothing here");
  redact::add_secret("q\"uo\\te'$x\nline-two");
  // JSON-escaped (as nlohmann dumps it, and dumped again), one_line, shell-quoted forms.
  const std::string json_once = "{\"a\":\"q\\\"uo\\\\te'$x\\nline-two\"}";
  CHECK(roux::redact::redact(json_once) == "{\"a\":\"(secret)\"}");
  const std::string json_twice = "\"q\\\\\\\"uo\\\\\\\\te'$x\\\\nline-two\"";
  CHECK(roux::redact::redact(json_twice) == "\"(secret)\"");
  CHECK(roux::redact::redact("echo 'q\"uo\\te'\\''$x").find("uo\\te") == std::string::npos);
  CHECK(roux::redact::redact("\"q\\\"uo\\\\te'\\$x").find("uo\\") == std::string::npos);
  CHECK(roux::redact::escape_json(std::string("a\x01\"", 3)) == "a\\u0001\\\"");
  redact::add_secret("ab");  // too short to mask safely: ignored
  CHECK(roux::redact::redact("abc") == "abc");
  redact::clear();
}

}  // namespace roux::secret

TEST_CASE("redact: URLs lose their credentials, and a display URL its path and query") {
  CHECK(roux::redact::strip_url_credentials("https://bob:pa55@git.example/r.git?x=1") == "https://git.example/r.git?x=1");
  CHECK(roux::redact::strip_url_credentials("git+https://tok3n@h:8443/a@b") == "git+https://h:8443/a@b");
  CHECK(roux::redact::strip_url_credentials("dir:/srv/cookbooks") == "dir:/srv/cookbooks");
  CHECK(roux::redact::url_password("https://bob:pa55@h/") == "pa55");
  CHECK(roux::redact::url_password("https://tok3n@h/") == "tok3n");
  CHECK(roux::redact::url_password("https://h/a@b") == "");
  // An ssh login name is not a secret: kept, and never handed to the redactor.
  CHECK(roux::redact::strip_url_credentials("git+ssh://git@github.com/o/r.git") == "git+ssh://git@github.com/o/r.git");
  CHECK(roux::redact::url_password("git+ssh://deploy@h/r") == "");
  CHECK(roux::redact::url_password("git+ssh://deploy:s3cret@h/r") == "s3cret");
  CHECK(roux::redact::strip_url_credentials("git+http://tok3n@h/r") == "git+http://h/r");
  CHECK(roux::redact::url_for_display("https://hooks.example/T0KEN/xyz?k=v") == "https://hooks.example/...");
  CHECK(roux::redact::url_for_display("http://u:p@127.0.0.1:9") == "http://127.0.0.1:9");
  CHECK(roux::redact::url_for_display("nonsense") == "(url)");
}
