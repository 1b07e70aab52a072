#include "resources/ssh_authorized_key.h"

#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "tests/unit/type_errors.h"

namespace roux::resources {

namespace {
// Real keys made with ssh-keygen (public halves only).
const char* kEd = "AAAAC3NzaC1lZDI1NTE5AAAAIPRwkXUt0hMwy2oIphr5rwCYrcbP0xFJmDsivE3zdLpN";
const char* kEcdsa =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHJnkRA5RZ6dGsh5alvqJ/ZRVifFIhd0hwjPup5MguEuElu9o1/W7hW2WdTUTzCwGvydUocxbe9WftSCRya+P4g=";

std::string errors_of(const std::string& name, const std::string& yaml) {
  return testing::type_errors(ssh_authorized_key_type(), name, yaml);
}
}  // namespace

TEST_CASE("ssh_authorized_key: key lines parse with options, quotes and comments") {
  auto l = parse_authorized_key_line(std::string("from=\"10.0.0.0/8,::1\",command=\"/bin/backup --x \\\"y z\\\"\",no-pty ssh-ed25519 ") +
                                     kEd + " alice laptop");
  REQUIRE(l);
  CHECK(l->options == "from=\"10.0.0.0/8,::1\",command=\"/bin/backup --x \\\"y z\\\"\",no-pty");
  CHECK(l->type == "ssh-ed25519");
  CHECK(l->key == kEd);
  CHECK(l->comment == "alice laptop");
  auto bare = parse_authorized_key_line(std::string("ssh-ed25519 ") + kEd);
  REQUIRE(bare);
  CHECK(bare->options == "");
  CHECK(bare->comment == "");
  CHECK(!parse_authorized_key_line(""));
  CHECK(!parse_authorized_key_line("   "));
  CHECK(!parse_authorized_key_line("# ssh-ed25519 AAAA"));
  CHECK(!parse_authorized_key_line("garbage here"));
  CHECK(!parse_authorized_key_line("ssh-ed25519"));
}

TEST_CASE("ssh_authorized_key: key bodies decode and name their type") {
  CHECK(check_ssh_key_body("ssh-ed25519", kEd) == "");
  CHECK(check_ssh_key_body("ecdsa-sha2-nistp256", kEcdsa) == "");
  CHECK(check_ssh_key_body("ssh-rsa", kEd) == "is a key of type \"ssh-ed25519\", not \"ssh-rsa\"");
  CHECK(check_ssh_key_body("ssh-ed25519", "AAAA*AAA") == "is not base64");
  CHECK(check_ssh_key_body("ssh-ed25519", "AAAAC3N") == "is not base64");
  CHECK(check_ssh_key_body("ssh-ed25519", "AA=A") == "is not base64");
  CHECK(check_ssh_key_body("ssh-ed25519", "") == "is empty");
  CHECK(check_ssh_key_body("ssh-ed25519", "aGVsbG8gd29ybGQh") == "is not an SSH public key (its type field is cut short)");
  // "\0\0\0\x0bssh-ed25519" only: the type and nothing after it.
  CHECK(check_ssh_key_body("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5") == "holds no key material after its type");
}

TEST_CASE("ssh_authorized_key: options") {
  for (const char* ok : {"no-pty", "from=\"10.0.0.0/8\"", "command=\"echo \\\"hi\\\"\"", "environment=\"A=b\""})
    CHECK_MESSAGE(check_ssh_key_option(ok) == "", ok);
  CHECK(check_ssh_key_option("from=10.0.0.1") == "must be NAME or NAME=\"VALUE\" (the value in double quotes)");
  CHECK(check_ssh_key_option("command=\"a\"b\"") == "must escape a double quote inside its value as \\\"");
  CHECK(check_ssh_key_option("no pty") == "must be NAME or NAME=\"VALUE\" (NAME of letters, digits and -)");
  CHECK(check_ssh_key_option("command=\"x\ny\"") == "must not hold control characters");
  CHECK(check_ssh_key_option("command=\"x\\\"") == "must not end its value with a backslash");
}

TEST_CASE("ssh_authorized_key: edits keep foreign lines, replace in place, drop duplicates") {
  const std::string k = kEd;
  const std::string other = std::string("ecdsa-sha2-nistp256 ") + kEcdsa + " bob\n";
  const std::string file = "# keys\n" + other + "no-pty ssh-ed25519 " + k + " old\r\njunk line\nssh-ed25519 " + k + " dup\n";
  const std::string line = format_authorized_key_line({"from=\"10.0.0.1\""}, "ssh-ed25519", k, "alice");
  CHECK(line == "from=\"10.0.0.1\" ssh-ed25519 " + k + " alice");
  CHECK(edit_authorized_keys(file, "ssh-ed25519", k, &line) ==
        "# keys\n" + other + "from=\"10.0.0.1\" ssh-ed25519 " + k + " alice\r\njunk line\n");
  CHECK(edit_authorized_keys(file, "ssh-ed25519", k, nullptr) == "# keys\n" + other + "junk line\n");
  CHECK(edit_authorized_keys("", "ssh-ed25519", k, &line) == line + "\n");
  CHECK(edit_authorized_keys("# no newline", "ssh-ed25519", k, &line) == "# no newline\n" + line + "\n");
  const std::string done = edit_authorized_keys(file, "ssh-ed25519", k, &line);
  CHECK(edit_authorized_keys(done, "ssh-ed25519", k, &line) == done);
  // The same body under another type is another key.
  CHECK(edit_authorized_keys("ssh-rsa " + k + "\n", "ssh-ed25519", k, nullptr) == "ssh-rsa " + k + "\n");
}

TEST_CASE("ssh_authorized_key: compile errors at the property") {
  const std::string k = kEd;
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\n") == "");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\noptions: [no-pty, 'from=\"10.0.0.0/8\"']\n") == "");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\nensure: absent\n") == "");
  CHECK(errors_of("alice", "type: ssh-ed25519\nkey: " + k + "\n") ==
        "r.yaml:1:1: ssh_authorized_key[alice]: missing required property \"user\"\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-foo\nkey: " + k + "\n") ==
        "r.yaml:2:7: ssh_authorized_key[alice]: type: unknown key type \"ssh-foo\"; known: ssh-ed25519, ssh-rsa, "
        "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, "
        "sk-ecdsa-sha2-nistp256@openssh.com, ssh-dss, ssh-ed25519-cert-v01@openssh.com, ssh-rsa-cert-v01@openssh.com, "
        "ecdsa-sha2-nistp256-cert-v01@openssh.com, ecdsa-sha2-nistp384-cert-v01@openssh.com, "
        "ecdsa-sha2-nistp521-cert-v01@openssh.com, sk-ssh-ed25519-cert-v01@openssh.com, "
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-rsa\nkey: " + k + "\n") ==
        "r.yaml:3:6: ssh_authorized_key[alice]: key: is a key of type \"ssh-ed25519\", not \"ssh-rsa\"\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: 'AAAA AAAA'\n") ==
        "r.yaml:3:6: ssh_authorized_key[alice]: key: is not base64\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\n") ==
        "r.yaml:1:1: ssh_authorized_key[alice]: key: is required (the base64 body of the public key)\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\noptions: [from=10.0.0.1]\n") ==
        "r.yaml:4:10: ssh_authorized_key[alice]: options: \"from=10.0.0.1\": must be NAME or NAME=\"VALUE\" (the value in "
        "double quotes)\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\ncomment: \"a\\nb\"\n") ==
        "r.yaml:4:10: ssh_authorized_key[alice]: comment: must be one line of at most 1024 bytes\n");
  CHECK(errors_of("alice", "user: 'a:b'\ntype: ssh-ed25519\nkey: " + k + "\n") ==
        "r.yaml:1:7: ssh_authorized_key[alice]: user: is not a valid user name\n");
  CHECK(errors_of("alice", "user: alice\ntype: ssh-ed25519\nkey: " + k + "\nensure: gone\n").find("ensure:") != std::string::npos);
}

}  // namespace roux::resources
