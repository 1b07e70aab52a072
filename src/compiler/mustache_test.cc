#include "compiler/mustache.h"

#include <doctest/doctest.h>

namespace roux::compiler {
namespace {

Result<std::string> render(const std::string& tmpl, const nlohmann::json& view = nullptr,
                           const nlohmann::json* variables = nullptr) {
  nlohmann::json v = view.is_null() ? nlohmann::json{{"attr", {{"app", {{"port", "8080"}, {"users", {{{"name", "a"}}, {{"name", "b"}}}}}}}}}
                                    : view;
  return Renderer(v).render(tmpl, variables);
}

}  // namespace

TEST_CASE("mustache: a variable that is not defined is an error naming it and where") {
  CHECK(*render("port={{attr.app.port}}") == "port=8080");
  auto missing = render("a\nport={{ attr.app.prt }}");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message() ==
        "template: {{attr.app.prt}} at line 2, column 6: \"attr.app.prt\" is not defined (optional: "
        "{{#attr.app.prt}}...{{/attr.app.prt}}; with a default: {{^attr.app.prt}}default{{/attr.app.prt}})");
  CHECK_FALSE(render("{{{attr.nope}}}").is_ok());
  CHECK_FALSE(render("{{&attr.nope}}").is_ok());
  // Inside a list section, a field every item lacks is missing too.
  CHECK(*render("{{#attr.app.users}}{{name}},{{/attr.app.users}}") == "a,b,");
  CHECK_FALSE(render("{{#attr.app.users}}{{nme}}{{/attr.app.users}}").is_ok());
  // With set delimiters the tags are still found.
  CHECK_FALSE(render("{{=<% %>=}}<% attr.nope %>").is_ok());
  CHECK(*render("{{=<% %>=}}<% attr.app.port %>") == "8080");
}

TEST_CASE("mustache: sections make a value optional or give it a default") {
  const char* tmpl = "{{#attr.x}}x={{attr.x}}{{/attr.x}}{{^attr.x}}x=default{{/attr.x}}";
  CHECK(*render(tmpl) == "x=default");
  CHECK(*render(tmpl, {{"attr", {{"x", "1"}}}}) == "x=1");
  CHECK(*render("{{#attr.nope}}never{{/attr.nope}}ok") == "ok");
  CHECK(*render("{{! a comment names nothing }}ok") == "ok");
  // Template variables sit over the view.
  nlohmann::json vars = {{"greeting", "hi"}};
  CHECK(*render("{{greeting}} {{attr.app.port}}", nullptr, &vars) == "hi 8080");
}

TEST_CASE("mustache: output and section nesting are bounded") {
  nlohmann::json view = {{"l", nlohmann::json::array()}};
  for (int i = 0; i < 100; ++i) view["l"].push_back(i);
  // 100^4 lines of 17 bytes: refused before it is built.
  auto amplified = render("{{#l}}{{#l}}{{#l}}{{#l}}0123456789abcdef\n{{/l}}{{/l}}{{/l}}{{/l}}", view);
  REQUIRE_FALSE(amplified.is_ok());
  CHECK(amplified.status().message() == "template: the output would pass 16777216 bytes (sections nested over long lists?)");
  // Even with no text to print (each walk still counts).
  CHECK_FALSE(render("{{#l}}{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}{{/l}}", view).is_ok());
  // An inner section looked up between two items of the outer one does not hide the outer
  // body's size: 200 outer items of a 100 KB body pass the bound even with a tiny inner section.
  nlohmann::json two = {{"outer", nlohmann::json::array()}, {"inner", {1}}};
  for (int i = 0; i < 200; ++i) two["outer"].push_back(i);
  std::string wide = "{{#outer}}{{#inner}}.{{/inner}}" + std::string(100 << 10, 'w') + "{{/outer}}";
  CHECK_FALSE(render(wide, two).is_ok());
  // Two levels are fine.
  CHECK(render("{{#l}}{{#l}}x{{/l}}{{/l}}", view)->size() == 10000);
  std::string deep;
  for (int i = 0; i < 17; ++i) deep += "{{#l}}";
  for (int i = 0; i < 17; ++i) deep += "{{/l}}";
  auto nested = render(deep, view);
  REQUIRE_FALSE(nested.is_ok());
  CHECK(nested.status().message() == "template: sections nested deeper than 16 levels at line 1, column 97");
}

TEST_CASE("mustache: partials render nothing (a partial could include itself forever)") {
  nlohmann::json vars = {{"p", "x{{>p}}"}};
  CHECK(*render("a{{>p}}b", nullptr, &vars) == "ab");
}

}  // namespace roux::compiler
