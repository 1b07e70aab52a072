#include "base/sha256.h"

#include <doctest/doctest.h>

namespace roux {

TEST_CASE("hmac_sha256_hex: RFC 4231 test case 2") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace roux
