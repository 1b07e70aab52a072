#include "base/strings.h"

#include <doctest/doctest.h>

#include "base/json.h"

namespace roux {

TEST_CASE("utf8: well-formed sequences only (RFC 3629)") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii\n"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("caf\xe9"));              // Latin-1 e-acute
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));             // overlong "/"
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));         // a UTF-16 surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));     // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));             // truncated
  CHECK_FALSE(is_valid_utf8("\x80"));                 // a lone continuation byte
}

TEST_CASE("utf8_or_latin1: stray bytes become their Latin-1 characters, valid text is unchanged") {
  CHECK(utf8_or_latin1("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(utf8_or_latin1("caf\xe9") == "caf\xc3\xa9");
  CHECK(utf8_or_latin1("\xe2\x82") == "\xc3\xa2\xc2\x82");  // a truncated sequence, byte by byte
  CHECK(utf8_or_latin1(std::string("a\0b\xff", 4)) == std::string("a\0b\xc3\xbf", 5));
  for (int b = 0; b < 256; ++b) CHECK(is_valid_utf8(utf8_or_latin1(std::string(1, static_cast<char>(b)))));
}

TEST_CASE("escape_controls: control bytes escaped, newline, tab and non-ASCII bytes kept") {
  CHECK(escape_controls("a\tb\nc") == "a\tb\nc");
  CHECK(escape_controls("\x1b[2J\r\x07\x7f") == "\\x1b[2J\\x0d\\x07\\x7f");
  CHECK(escape_controls("caf\xe9 caf\xc3\xa9") == "caf\xe9 caf\xc3\xa9");
}

TEST_CASE("json_dump: never throws on bytes that are not UTF-8; keys too") {
  nlohmann::ordered_json j;
  j["out"] = "ol\xe9";
  j["k\xe9y"] = nlohmann::ordered_json::array({"x\xff", 1});
  CHECK_THROWS(j.dump());  // what nlohmann does on its own
  CHECK(json_dump(j) == "{\"out\":\"ol\xc3\xa9\",\"k\xc3\xa9y\":[\"x\xc3\xbf\",1]}");
  nlohmann::json plain = {{"a", "b"}};
  CHECK(json_dump(plain, 2) == plain.dump(2));
}

TEST_CASE("json readers: a field of the wrong type gives the default, never an exception") {
  auto j = nlohmann::json::parse(R"({"s": 1, "n": "x", "i": 1.5, "big": 99999999999, "o": [], "a": {}, "ok": "y"})");
  CHECK(json_string(j, "s", "d") == "d");
  CHECK(json_string(j, "ok") == "y");
  CHECK(json_number(j, "n", 7) == 7);
  CHECK(json_int(j, "i", 3) == 3);
  CHECK(json_int(j, "big", 3) == 3);
  CHECK(json_object(j, "o").empty());
  CHECK(json_array(j, "a").empty());
  CHECK(json_string(nlohmann::json::array({1}), "s") == "");
  CHECK(json_int(nlohmann::json("str"), "i", -1) == -1);
}

}  // namespace roux

namespace roux {

TEST_CASE("closest_match: the nearest candidate within a third of the word, else nothing") {
  std::vector<std::string> ids = {"service[nginx]", "file[/etc/nginx/nginx.conf]", "package[nginx]"};
  CHECK(closest_match("service[ngnix]", ids) == "service[nginx]");
  CHECK(closest_match("package[nginx", ids) == "package[nginx]");
  CHECK(closest_match("user[bob]", ids).empty());
  CHECK(closest_match("", ids).empty());
}

}  // namespace roux
