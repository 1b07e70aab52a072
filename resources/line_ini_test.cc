// line and ini: the pure edits (idempotence, minimal change, foreign lines kept byte for byte)
// and the compile-time errors at file:line:col.
#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"
#include "resources/ini.h"
#include "resources/line.h"

namespace roux::resources {
namespace {

LineSpec spec(std::string line, const char* match = nullptr, const char* after = nullptr, bool absent = false) {
  LineSpec s;
  s.line = std::move(line);
  s.absent = absent;
  std::string why;
  if (match) s.match = compile_line_regex(match, &why);
  if (after) s.after = compile_line_regex(after, &why);
  return s;
}

std::string edited(const std::string& content, const LineSpec& s) {
  auto r = edit_line(content, s, "/f");
  REQUIRE(r.is_ok());
  // Applying the same edit again changes nothing (the resource's second run).
  auto again = edit_line(*r, s, "/f");
  REQUIRE(again.is_ok());
  CHECK(*again == *r);
  return *r;
}

std::string errors_of(const engine::ResourceType& type, const std::string& name, const std::string& yaml) {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, type.name + "[" + name + "]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  type.make(name, props, build);
  props.finish(type.name);
  std::string out;
  for (const auto& s : errors) out += s.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("line: present appends, replaces the first match, inserts after a match") {
  const std::string sshd = "# sshd\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n";
  CHECK(edited(sshd, spec("PermitRootLogin no")) == sshd + "PermitRootLogin no\n");
  CHECK(edited(sshd, spec("PermitRootLogin no", "^#?PermitRootLogin\\b")) ==
        "# sshd\nPermitRootLogin no\nPasswordAuthentication yes\n");
  CHECK(edited(sshd, spec("UseDNS no", "^UseDNS", "^# sshd")) ==
        "# sshd\nUseDNS no\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n");
  // After a match that is not there: at the end.
  CHECK(edited(sshd, spec("X 1", nullptr, "^nothing")) == sshd + "X 1\n");
  // Already there: the content is returned as it is, even when match would find another line.
  const std::string both = "#PermitRootLogin yes\nPermitRootLogin no\n";
  CHECK(edited(both, spec("PermitRootLogin no", "PermitRootLogin")) == both);
  // A last line without newline is ended before appending; CRLF lines keep their terminator.
  CHECK(edited("a\nb", spec("c")) == "a\nb\nc\n");
  CHECK(edited("a\r\nkey=1\r\n", spec("key=2", "^key=")) == "a\r\nkey=2\r\n");
  CHECK(edited("", spec("only")) == "only\n");
}

TEST_CASE("line: absent removes exact lines and what match finds, nothing else") {
  const std::string text = "keep\nremove me\nkeep too\nremove me\n";
  CHECK(edited(text, spec("remove me", nullptr, nullptr, true)) == "keep\nkeep too\n");
  CHECK(edited("a\n# x=1\nx=2\nb", spec("", "^x=", nullptr, true)) == "a\n# x=1\nb");
  CHECK(edited(text, spec("not there", nullptr, nullptr, true)) == text);
}

TEST_CASE("line: a line too long to search is refused, not matched") {
  std::string huge(kMaxRegexLine + 1, 'a');
  auto r = edit_line("x\n" + huge + "\n", spec("y", "^b"), "/etc/big");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() == "/etc/big: line 2 is 16385 bytes; regular expressions are searched in lines up to 16 KiB");
}

TEST_CASE("line: compile errors at the property") {
  CHECK(errors_of(line_type(), "/etc/x", "text: a\nmatch: '(unclosed'\n").find(
            "r.yaml:2:8: line[/etc/x]: match: is not a valid regular expression (ECMAScript)") == 0);
  CHECK(errors_of(line_type(), "/etc/x", "match: a\n") == "r.yaml:1:1: line[/etc/x]: text: is required (the line's text)\n");
  CHECK(errors_of(line_type(), "/etc/x", "ensure: absent\n") ==
        "r.yaml:1:1: line[/etc/x]: text: is required (or match, for ensure: absent)\n");
  CHECK(errors_of(line_type(), "/etc/x", "ensure: absent\nmatch: a\nafter: b\n") ==
        "r.yaml:3:8: line[/etc/x]: after: has no meaning with ensure: absent\n");
  CHECK(errors_of(line_type(), "sshd root", "text: a\n") ==
        "r.yaml:1:1: line[sshd root]: path must be absolute: \"sshd root\" (the name is the file unless path: is given)\n");
  CHECK(errors_of(line_type(), "x", "path: /etc/x\ntext: \"a\\nb\"\n") ==
        "r.yaml:2:7: line[x]: text: must be one line without control characters (tabs are fine)\n");
  CHECK(errors_of(line_type(), "x", "path: /etc/x\ntext: a\nmatch: '" + std::string(1025, 'a') + "'\n") ==
        "r.yaml:3:8: line[x]: match: is 1025 bytes; at most 1024\n");
  CHECK(errors_of(line_type(), "x", "path: /etc/x\ntext: \"a\\tb\"\nmatch: a\n") == "");
}

TEST_CASE("ini: set, replace, add a section, remove; comments and spacing kept") {
  IniSpec s;
  s.section = "PHP";
  s.key = "memory_limit";
  s.value = "256M";
  const std::string php = "; php.ini\n[PHP]\n; comment\nmemory_limit   =  128M ; old\nx = 1\n\n[Date]\ndate.timezone = UTC\n";
  std::string out = edit_ini(php, s);
  CHECK(out == "; php.ini\n[PHP]\n; comment\nmemory_limit = 256M\nx = 1\n\n[Date]\ndate.timezone = UTC\n");
  CHECK(edit_ini(out, s) == out);
  // The same value with other spacing is left alone.
  CHECK(edit_ini("[PHP]\n  memory_limit=256M\n", s) == "[PHP]\n  memory_limit=256M\n");
  // Missing key: after the section's last non-blank line, before the blank line.
  s.key = "upload_max";
  s.value = "8M";
  CHECK(edit_ini(php, s) ==
        "; php.ini\n[PHP]\n; comment\nmemory_limit   =  128M ; old\nx = 1\nupload_max = 8M\n\n[Date]\ndate.timezone = UTC\n");
  // Missing section: appended after a blank line.
  s.section = "Session";
  CHECK(edit_ini("[PHP]\nx = 1", s) == "[PHP]\nx = 1\n\n[Session]\nupload_max = 8M\n");
  CHECK(edit_ini("", s) == "[Session]\nupload_max = 8M\n");
  // Global keys: before the first section.
  s.section = "";
  s.key = "root";
  s.value = "yes";
  CHECK(edit_ini("# top\n[a]\nk = v\n", s) == "# top\nroot = yes\n[a]\nk = v\n");
  CHECK(edit_ini("[a]\nroot = no\n", s) == "root = yes\n[a]\nroot = no\n");
  // A key in another section or in a comment is not this one.
  s.section = "Date";
  s.key = "x";
  s.value = "2";
  s.separator = "=";
  CHECK(edit_ini("[PHP]\nx = 1\n[Date]\n;x = 0\n", s) == "[PHP]\nx = 1\n[Date]\n;x = 0\nx=2\n");
  // Absent: every setting of the key in the section, nothing else.
  s.absent = true;
  CHECK(edit_ini("[Date]\nx = 1\ny = 2\nx=3\n[PHP]\nx = 1\n", s) == "[Date]\ny = 2\n[PHP]\nx = 1\n");
  CHECK(edit_ini("[PHP]\nx = 1\n", s) == "[PHP]\nx = 1\n");
}

TEST_CASE("ini: compile errors at the property") {
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nkey: a\n") == "r.yaml:1:1: ini[php]: value: is required\n");
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nkey: 'a=b'\nvalue: 1\n") ==
        "r.yaml:2:6: ini[php]: key: \"a=b\" is not a key (no =, brackets, control characters, leading ; or #, blanks at the ends)\n");
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nsection: '[x]'\nkey: a\nvalue: 1\n") ==
        "r.yaml:2:10: ini[php]: section: \"[x]\" is not a section name (no brackets, control characters or blanks at the ends)\n");
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nkey: a\nvalue: ' 1'\n") ==
        "r.yaml:3:8: ini[php]: value: must be one line without control characters or blanks at the ends (ini readers trim them)\n");
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nkey: a\nvalue: 1\nseparator: ':'\n") ==
        "r.yaml:4:12: ini[php]: separator: must be = with optional blanks around it (\" = \", \"=\")\n");
  CHECK(errors_of(ini_type(), "php", "path: /etc/php.ini\nkey: a\nensure: absent\nvalue: 1\n") ==
        "r.yaml:4:8: ini[php]: value: has no meaning with ensure: absent\n");
  CHECK(errors_of(ini_type(), "php", "key: a\nvalue: 1\n") == "r.yaml:1:1: ini[php]: missing required property \"path\"\n");
}

}  // namespace roux::resources
