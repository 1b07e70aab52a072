#include "sources/git_auth.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "sources/git_source.h"

namespace roux::sources {

TEST_CASE("git_auth: netrc lookup by machine, then default") {
  const char* text =
      "machine git.example.com login deploy password s3cret-1\n"
      "macdef init\ncd /pub\nmachine evil.example.com login x password y\n\n"
      "machine other.example.com\n  login bob\n  account acct\n  password pw-2\n"
      "default login anon password anon-pw\n";
  auto a = netrc_lookup(text, "git.example.com");
  REQUIRE(a);
  CHECK(a->login == "deploy");
  CHECK(a->password == "s3cret-1");
  auto b = netrc_lookup(text, "other.example.com");
  REQUIRE(b);
  CHECK(b->login == "bob");
  CHECK(b->password == "pw-2");
  // A macdef body is skipped: "machine evil.example.com" inside it is no entry.
  auto c = netrc_lookup(text, "evil.example.com");
  REQUIRE(c);
  CHECK(c->login == "anon");
  CHECK_FALSE(netrc_lookup("machine a login b password c\n", "z.example.com"));
  CHECK_FALSE(netrc_lookup("", "a"));
  // The first entry of a host wins.
  CHECK(netrc_lookup("machine h login one password p1\nmachine h login two password p2\n", "h")->login == "one");
  // A truncated file is no crash.
  CHECK(netrc_lookup("machine h login", "h")->login.empty());
}

TEST_CASE("git_auth: endpoints of every remote spelling") {
  auto https = parse_git_endpoint("https://u:pw@git.example.com:8443/ops/cb.git");
  REQUIRE(https);
  CHECK(https->scheme == "https");
  CHECK(https->user == "u");
  CHECK(https->host == "git.example.com");
  CHECK(https->port == 8443);
  CHECK(https->path == "/ops/cb.git");
  auto ssh = parse_git_endpoint("ssh://git@127.0.0.1:2222/srv/cb.git");
  REQUIRE(ssh);
  CHECK(ssh->scheme == "ssh");
  CHECK(ssh->user == "git");
  CHECK(ssh->port == 2222);
  auto scp = parse_git_endpoint("git@git.example.com:ops/cb.git");
  REQUIRE(scp);
  CHECK(scp->scheme == "ssh");
  CHECK(scp->host == "git.example.com");
  CHECK(scp->port == -1);
  CHECK(scp->path == "ops/cb.git");
  auto v6 = parse_git_endpoint("ssh://git@[::1]:22/cb.git");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 22);
  auto git = parse_git_endpoint("git://127.0.0.1/cb.git");
  REQUIRE(git);
  CHECK(git->port == -1);
  CHECK_FALSE(parse_git_endpoint("https://host:99999/x"));
  CHECK_FALSE(parse_git_endpoint("https://host:12ab/x"));
  CHECK_FALSE(parse_git_endpoint("ssh:///nohost"));
  CHECK_FALSE(parse_git_endpoint("a/b:c"));
}

TEST_CASE("git_auth: which URLs are git sources") {
  CHECK(is_git_source_url("git+https://h/x.git"));
  CHECK(is_git_source_url("git://h/x.git"));
  CHECK(is_git_source_url("git@h:ops/x.git"));
  CHECK(is_git_source_url("deploy@git.example.com:x.git#cookbooks"));
  CHECK_FALSE(is_git_source_url("https://h/x"));
  CHECK_FALSE(is_git_source_url("cookbooks"));
  CHECK_FALSE(is_git_source_url("/srv/a@b:c"));   // a slash before the colon: a path
  CHECK_FALSE(is_git_source_url("dir:/srv/x"));
  CHECK_FALSE(is_git_source_url("@h:x"));          // no user
  CHECK_FALSE(is_git_source_url("u@:x"));          // no host
  CHECK_FALSE(is_git_source_url("u@h:"));          // no path
}

TEST_CASE("git_auth: OpenSSH's fingerprint format") {
  unsigned char zero[32] = {};
  CHECK(ssh_fingerprint(zero) == "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

}  // namespace roux::sources

namespace roux::sources {

TEST_CASE("git_auth: the socket watchdog ends a read that would wait forever, and only the new sockets") {
  int old_pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, old_pair) == 0);
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  auto t0 = std::chrono::steady_clock::now();
  {
    SocketWatchdog watchdog(1);
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    char buf[16];
    // The server never writes: without the watchdog this read blocks forever.
    ssize_t n = ::recv(client, buf, sizeof buf, 0);
    CHECK(n == 0);
    CHECK(watchdog.fired());
    ::close(client);
  }
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds(900));
  CHECK(took < std::chrono::seconds(10));
  // Sockets older than the watchdog still work.
  CHECK(::send(old_pair[0], "x", 1, 0) == 1);
  char c = 0;
  CHECK(::recv(old_pair[1], &c, 1, 0) == 1);
  ::close(old_pair[0]);
  ::close(old_pair[1]);
  ::close(listener);
}

TEST_CASE("git_auth: a watchdog destroyed in time shuts nothing") {
  int pair[2];
  auto t0 = std::chrono::steady_clock::now();
  {
    SocketWatchdog watchdog(30);
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    CHECK_FALSE(watchdog.fired());
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));  // the thread ends at once
  CHECK(::send(pair[0], "x", 1, 0) == 1);
  ::close(pair[0]);
  ::close(pair[1]);
}

}  // namespace roux::sources
