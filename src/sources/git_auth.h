#pragma once
// How a git source logs in and whom it trusts (client.yaml `git:`): https credentials from a
// netrc file, ~/.netrc or a git credential helper; ssh with a key file and a known_hosts file;
// a deadline on the whole transfer. Everything here runs from cron and systemd, which have no
// terminal and no ssh agent: nothing prompts, and every refusal names the file to fix.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "libs/git2_api.h"
#include "sources/source.h"

namespace roux::sources {

/// One login of a netrc file.
struct NetrcEntry {
  std::string login, password;
};

/// The entry of a netrc text for `host`: the first `machine HOST`, else the `default` entry;
/// nullopt when neither. Tokens are separated by white space; `macdef` bodies (up to an empty
/// line) and `account` values are skipped.
std::optional<NetrcEntry> netrc_lookup(std::string_view text, std::string_view host);

/// Where a git remote is. `scheme` is "https", "http", "ssh", "git" or "file"; scp-style
/// "user@host:path" is "ssh" with no port. `port` is -1 when the URL names none.
struct GitEndpoint {
  std::string scheme, user, host, path;
  int port = -1;
};
std::optional<GitEndpoint> parse_git_endpoint(std::string_view remote);

/// "SHA256:<base64>" of an ssh host key (OpenSSH's fingerprint format), from its SHA-256.
std::string ssh_fingerprint(const unsigned char (&sha256)[32]);

/// The home folder of the running user ($HOME, else the password database); "" when unknown.
std::string home_dir();

/// Bounds a libgit2 transfer that stops sending. libgit2 1.5 has no network timeout, and its
/// progress callbacks run only while data arrives, so a server that accepts and then stalls
/// would hold the run forever. After `timeout_s` this watchdog thread shuts down (shutdown(2),
/// never close) every socket the process opened since the watchdog started: the blocked read
/// returns and libgit2 fails. It keeps doing so until destroyed. Meant for the single-threaded
/// source phase: a socket another thread opened meanwhile would be shut too.
class SocketWatchdog {
 public:
  explicit SocketWatchdog(long timeout_s);
  ~SocketWatchdog();
  SocketWatchdog(const SocketWatchdog&) = delete;
  SocketWatchdog& operator=(const SocketWatchdog&) = delete;
  bool fired() const { return fired_; }

 private:
  std::set<int> before_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

/// The libgit2 callbacks of one fetch, and the reason it failed when a callback stopped it.
/// Not thread-safe; lives as long as the fetch. `ca_bundle` is named when a TLS certificate is
/// refused; `timeout_s` bounds the whole transfer (0 = no bound).
class GitTransferGuard {
 public:
  GitTransferGuard(const GitOptions& options, const std::string& remote, std::string ca_bundle, long timeout_s);
  GitTransferGuard(const GitTransferGuard&) = delete;
  GitTransferGuard& operator=(const GitTransferGuard&) = delete;

  /// Points `callbacks` (credentials, certificate check, progress) at this guard.
  void install(git_remote_callbacks* callbacks);
  /// Why the fetch failed: the guard's own reason when a callback refused (a file to fix, a host
  /// key, a deadline), else `libgit2_message`.
  std::string failure(const std::string& libgit2_message) const;
  /// Push only: install(), and the reference updates the remote refused are recorded.
  void install_push(git_remote_callbacks* callbacks);
  /// The remote's refusal of the pushed reference ("" = accepted), e.g. "fetch first".
  const std::string& rejected() const { return rejected_; }
  /// What the remote printed during the transfer ("remote: ..." lines, at most 4 KiB).
  const std::string& remote_messages() const { return remote_messages_; }

 private:
  static int credentials_cb(git_credential** out, const char* url, const char* username_from_url,
                            unsigned int allowed, void* payload);
  static int certificate_cb(git_cert* cert, int valid, const char* host, void* payload);
  static int transfer_cb(const git_indexer_progress* stats, void* payload);
  static int sideband_cb(const char* str, int len, void* payload);
  static int push_update_cb(const char* refname, const char* status, void* payload);

  int credentials(git_credential** out, const char* username_from_url, unsigned int allowed);
  int userpass(git_credential** out);
  int ssh_key(git_credential** out, const char* username_from_url);
  int check_host_key(const git_cert_hostkey* key, const std::string& host);
  int refuse(std::string why);  // records `why` (the first reason wins), returns GIT_EUSER
  bool past_deadline();
  std::string timeout_message() const;

  GitOptions options_;
  GitEndpoint endpoint_;
  std::string ca_bundle_;
  long timeout_s_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::string reason_;
  std::string rejected_, remote_messages_;
  int userpass_step_ = 0;         // next credentials source to try (config netrc, ~/.netrc, helper)
  std::string userpass_origin_;   // where the last login offered came from ("" = none offered yet)
  bool url_password_ = false;     // the URL carries its own password (libgit2 offers it first)
  int ssh_attempts_ = 0;
  SocketWatchdog watchdog_;  // last: started once everything else is set
};

/// What a git transfer may use, from the client config: `git:` (credentials, ssh key, known
/// hosts), `ca_bundle` and `http: {timeout}` (0 = no bound). Git sources and the `git` resource
/// both fetch with these.
struct GitTransferSettings {
  GitOptions options;
  std::string ca_bundle;
  long timeout_s = 0;
};

/// Fetches `refspecs` (forced, pruned, no automatic tags) from `remote` into `repo` through an
/// anonymous remote, with a GitTransferGuard (credentials, host key and TLS checks, deadline).
/// `*stats` (may be null) gets what was transferred. Errors: kInvalidInput when the remote or the
/// ca_bundle cannot be used (nothing was tried); kIo with the guard's reason when the fetch failed.
/// No message holds the credentials of `remote`.
Status guarded_fetch(git_repository* repo, const std::string& remote, const std::vector<std::string>& refspecs,
                     const GitTransferSettings& settings, git_indexer_progress* stats = nullptr);

/// Pushes `refspec` ("refs/heads/X:refs/heads/X", never forced) from `repo` to `remote` with a
/// GitTransferGuard, as guarded_fetch fetches. kConflict when the remote's branch moved since it
/// was fetched (not a fast-forward, or refused as stale by the remote): fetch and redo.
/// kUntrusted when the remote answered and refused the update otherwise (a hook, a protected
/// branch), with its messages. kIo with the guard's reason when the transfer failed (the update
/// may or may not have landed). No message holds the
/// credentials of `remote`. Needs the write functions of libgit2 (libs/git2_write_api.h).
Status guarded_push(git_repository* repo, const std::string& remote, const std::string& refspec,
                    const GitTransferSettings& settings);

}  // namespace roux::sources
