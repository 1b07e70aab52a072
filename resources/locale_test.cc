#include "resources/locale.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

TEST_CASE("locale: names, locale.gen and SUPPORTED") {
  for (const char* ok : {"C", "POSIX", "C.UTF-8", "en_US.UTF-8", "en_US", "de_DE@euro", "sr_RS.UTF-8@latin", "eo.UTF-8",
                         "ast_ES.UTF-8", "be_BY@latin", "fr_FR.ISO-8859-15"})
    CHECK_MESSAGE(is_valid_locale_name(ok), ok);
  for (const char* bad : {"", "e", "EN_us.UTF-8", "en_US.", "en_US.UTF-8 UTF-8", "../x", "en_US.UTF-8\n", "e_US",
                          "en_USAA.UTF-8", "en_US.UTF-8@", "en_US.-x", "C.ISO"})
    CHECK_MESSAGE(!is_valid_locale_name(bad), bad);
  CHECK(is_valid_language_list("en_GB:en"));
  CHECK(!is_valid_language_list("en_GB::en"));
  CHECK(normalized_locale_name("en_US.UTF-8") == "en_US.utf8");
  CHECK(normalized_locale_name("sr_RS.UTF-8@latin") == "sr_RS.utf8@latin");
  CHECK(normalized_locale_name("de_DE@euro") == "de_DE@euro");
  const char* supported = "en_US.UTF-8 UTF-8\nen_US ISO-8859-1\nde_DE.UTF-8 UTF-8\n";
  CHECK(supported_charset(supported, "en_US") == "ISO-8859-1");
  CHECK(supported_charset(supported, "de_DE.UTF-8") == "UTF-8");
  CHECK(supported_charset(supported, "fr_FR.UTF-8").empty());
  // A commented line is uncommented, an enabled one kept, a missing one added; others kept.
  const std::string gen = "# header\n# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\n";
  CHECK(locale_gen_with(gen, {{"en_US.UTF-8", "UTF-8"}, {"fr_FR.UTF-8", "UTF-8"}, {"nl_NL.UTF-8", "UTF-8"}}) ==
        "# header\n# de_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\nnl_NL.UTF-8 UTF-8\n");
  CHECK(locale_gen_with("en_US.UTF-8 UTF-8\n", {{"en_US.UTF-8", "UTF-8"}}) == "en_US.UTF-8 UTF-8\n");
  CHECK(locale_gen_with("", {{"en_US.UTF-8", "UTF-8"}}) == "en_US.UTF-8 UTF-8\n");
}

TEST_CASE("locale: compile errors with file:line:col") {
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  auto errors_of = [&](const std::string& name, const std::string& yaml) {
    std::vector<Status> errors;
    engine::Value map;
    REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
    engine::Props props(map, "locale[" + name + "]", &errors);
    locale_type().make(name, props, build);
    props.finish("locale");
    std::vector<std::string> out;
    for (const auto& e : errors) out.push_back(e.to_string());
    return out;
  };
  CHECK(errors_of("system", "lang: en_US.UTF-8\nlc: {LC_TIME: en_GB.UTF-8, LANGUAGE: \"en_GB:en\"}\ngenerate: [de_DE.UTF-8]\n").empty());
  CHECK(errors_of("system", "lang: en_US.utf-8\n").empty());
  auto e = errors_of("web", "lang: en_US.UTF-8\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0] == "r.yaml:1:1: locale[web]: the locale resource is named system (locale: system), one per host; not \"web\"");
  e = errors_of("system", "lang: english\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0] == "r.yaml:1:7: locale[system]: lang: \"english\" is not a locale name such as en_US.UTF-8, de_DE@euro, "
                "C.UTF-8, C or POSIX");
  e = errors_of("system", "lang: C.UTF-8\nlc:\n  LC_TIMES: en_GB.UTF-8\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("r.yaml:3:3: locale[system]: lc: \"LC_TIMES\" is not a locale variable (") == 0);
  CHECK(e[0].find("did you mean LC_TIME?") != std::string::npos);
  e = errors_of("system", "lang: C\nlc: {LC_TIME: \"en_GB.UTF-8; rm -rf /\"}\ngenerate: [\"../x\"]\n");
  REQUIRE(e.size() == 2);
  CHECK(e[0].find("locale[system]: lc: LC_TIME: \"en_GB.UTF-8; rm -rf /\" is not a locale name") != std::string::npos);
  CHECK(e[1].find("locale[system]: generate: \"../x\" is not a locale name such as de_DE.UTF-8") != std::string::npos);
  e = errors_of("system", "lc: {LC_TIME: en_GB.UTF-8}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("lang") != std::string::npos);
}

}  // namespace roux::resources
