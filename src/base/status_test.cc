#include "base/status.h"

#include <doctest/doctest.h>

namespace roux {

namespace {
Result<int> half(int x) {
  if (x % 2) return Status::invalid_input("odd: " + std::to_string(x));
  return x / 2;
}
Status quarter(int x, int* out) {
  ROUX_ASSIGN_OR_RETURN(int h, half(x));
  ROUX_ASSIGN_OR_RETURN(*out, half(h));
  return Status::ok();
}
}  // namespace

TEST_CASE("Status: ok is free, errors carry location and context") {
  CHECK(Status::ok().is_ok());
  CHECK(Status::ok().to_string() == "ok");
  Status s = Status::invalid_input("unknown key \"x\"", {"recipes/default.yaml", 3, 5});
  CHECK(s.code() == Code::kInvalidInput);
  CHECK(s.to_string() == "recipes/default.yaml:3:5: unknown key \"x\"");
  CHECK(s.with_context("file[/a]").to_string() == "recipes/default.yaml:3:5: file[/a]: unknown key \"x\"");
  CHECK(Status::io("open /x", 2).message() == "open /x: No such file or directory");
  CHECK(Status::not_found("n").at({"f", 1, 2}).to_string() == "f:1:2: n");
}

TEST_CASE("Result and ROUX_ASSIGN_OR_RETURN") {
  int out = 0;
  CHECK(quarter(8, &out).is_ok());
  CHECK(out == 2);
  Status s = quarter(6, &out);
  CHECK(s.message() == "odd: 3");
}

}  // namespace roux
