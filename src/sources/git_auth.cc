#include "sources/git_auth.h"

#include <openssl/evp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/redact.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "libs/git2_write_api.h"
#include "libs/ssh2_api.h"
#include "sources/local_file.h"

namespace roux::sources {
namespace {

const libs::Git2& git_lib() { return libs::must(libs::git2()); }

/// Splits netrc text into tokens (white space separated); `macdef NAME` bodies end at an empty line.
std::vector<std::string> netrc_tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i == start) break;
    out.emplace_back(text.substr(start, i - start));
    if (out.back() == "macdef") {
      out.pop_back();
      size_t end = text.find("\n\n", i);
      i = end == std::string_view::npos ? text.size() : end + 2;
    }
  }
  return out;
}

const char* ssh_key_type(git_cert_ssh_raw_type_t t) {
  switch (t) {
    case GIT_CERT_SSH_RAW_TYPE_RSA: return "ssh-rsa";
    case GIT_CERT_SSH_RAW_TYPE_DSS: return "ssh-dss";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return "ecdsa-sha2-nistp256";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return "ecdsa-sha2-nistp384";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ecdsa-sha2-nistp521";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ssh-ed25519";
    default: return "ssh";
  }
}

int knownhost_key_mask(git_cert_ssh_raw_type_t t) {
  switch (t) {
    case GIT_CERT_SSH_RAW_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case GIT_CERT_SSH_RAW_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default: return 0;
  }
}

/// "HOST" for port 22 (or none), else "[HOST]:PORT" (the known_hosts spelling).
std::string host_port(const std::string& host, int port) {
  return port > 0 && port != 22 ? "[" + host + "]:" + std::to_string(port) : host;
}

/// The text of a file holding a secret: readable, and by its owner only (as OpenSSH asks of a
/// private key). `what` names the file's role ("git.netrc in the client config").
Result<std::string> read_secret_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::io_msg(what + " " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    return Status::untrusted(what + " " + path + " can be read or written by other users (mode " +
                             format_mode(st.st_mode & 07777) + "); make it the owner's only: chmod 600 " + path);
  auto text = read_local_file(path, 1 << 20);
  if (!text.is_ok()) return Status::io_msg(what + " " + path + ": " + text.status().message());
  return text;
}

/// The file descriptors of this process that are sockets.
std::set<int> socket_fds() {
  std::set<int> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return out;
  int own = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (*e->d_name == '\0' || *end != '\0' || fd == own) continue;
    char target[64];
    ssize_t n = ::readlinkat(own, e->d_name, target, sizeof target - 1);
    if (n > 0 && std::string_view(target, static_cast<size_t>(n)).substr(0, 7) == "socket:") out.insert(static_cast<int>(fd));
  }
  ::closedir(d);
  return out;
}

}  // namespace

SocketWatchdog::SocketWatchdog(long timeout_s) {
  if (timeout_s <= 0) return;
  before_ = socket_fds();
  thread_ = std::thread([this, timeout_s] {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(timeout_s), [this] { return done_; })) return;
    fired_ = true;
    do {
      for (int fd : socket_fds())
        if (!before_.count(fd)) ::shutdown(fd, SHUT_RDWR);
    } while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; }));
  });
}

SocketWatchdog::~SocketWatchdog() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::optional<NetrcEntry> netrc_lookup(std::string_view text, std::string_view host) {
  std::vector<std::string> t = netrc_tokens(text);
  std::optional<NetrcEntry> machine, fallback;
  for (size_t i = 0; i < t.size();) {
    bool is_default = t[i] == "default";
    if (t[i] != "machine" && !is_default) {
      ++i;
      continue;
    }
    bool match = is_default || (i + 1 < t.size() && t[i + 1] == host);
    i += is_default ? 1 : 2;
    NetrcEntry e;
    while (i < t.size() && t[i] != "machine" && t[i] != "default") {
      if (i + 1 < t.size() && (t[i] == "login" || t[i] == "password" || t[i] == "account")) {
        if (t[i] == "login") e.login = t[i + 1];
        if (t[i] == "password") e.password = t[i + 1];
        i += 2;
      } else {
        ++i;
      }
    }
    if (match && !is_default && !machine) machine = e;
    if (match && is_default && !fallback) fallback = e;
  }
  return machine ? machine : fallback;
}

std::optional<GitEndpoint> parse_git_endpoint(std::string_view r) {
  GitEndpoint e;
  size_t sep = r.find("://");
  std::string_view authority;
  if (sep == std::string_view::npos) {
    // scp-style USER@HOST:PATH (git's rule: a colon before any slash).
    size_t colon = r.find(':');
    if (colon == std::string_view::npos || r.substr(0, colon).find('/') != std::string_view::npos) return std::nullopt;
    e.scheme = "ssh";
    authority = r.substr(0, colon);
    e.path = std::string(r.substr(colon + 1));
  } else {
    e.scheme = std::string(r.substr(0, sep));
    size_t start = sep + 3, slash = r.find('/', start);
    authority = r.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    e.path = slash == std::string_view::npos ? "" : std::string(r.substr(slash));
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    e.user = std::string(userinfo.substr(0, userinfo.find(':')));
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    e.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos && sep != std::string_view::npos) {
    e.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    e.host = std::string(authority);
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    e.port = std::stoi(std::string(port));
    if (e.port < 1 || e.port > 65535) return std::nullopt;
  }
  if (e.host.empty() && e.scheme != "file") return std::nullopt;
  return e;
}

std::string ssh_fingerprint(const unsigned char (&sha256)[32]) {
  unsigned char out[48] = {};
  int n = EVP_EncodeBlock(out, sha256, 32);
  std::string b64(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "";
}

GitTransferGuard::GitTransferGuard(const GitOptions& options, const std::string& remote, std::string ca_bundle,
                                   long timeout_s)
    : options_(options), ca_bundle_(std::move(ca_bundle)), timeout_s_(timeout_s), watchdog_(timeout_s) {
  if (auto e = parse_git_endpoint(remote)) endpoint_ = *e;
  url_password_ = !redact::url_password(remote).empty();
  deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s_ > 0 ? timeout_s_ : 0);
}

void GitTransferGuard::install(git_remote_callbacks* cb) {
  cb->credentials = &GitTransferGuard::credentials_cb;
  cb->certificate_check = &GitTransferGuard::certificate_cb;
  cb->transfer_progress = &GitTransferGuard::transfer_cb;
  cb->sideband_progress = &GitTransferGuard::sideband_cb;
  cb->payload = this;
}

std::string GitTransferGuard::failure(const std::string& libgit2_message) const {
  if (!reason_.empty()) return reason_;
  if (watchdog_.fired()) return timeout_message() + " (the server stopped sending: " + libgit2_message + ")";
  return libgit2_message;
}

std::string GitTransferGuard::timeout_message() const {
  return "the git transfer did not finish within " + std::to_string(timeout_s_) + " s (client config http: {timeout: N})";
}

int GitTransferGuard::refuse(std::string why) {
  if (reason_.empty()) reason_ = std::move(why);
  return GIT_EUSER;
}

bool GitTransferGuard::past_deadline() {
  if (timeout_s_ <= 0 || (std::chrono::steady_clock::now() < deadline_ && !watchdog_.fired())) return false;
  refuse(timeout_message());
  return true;
}

int GitTransferGuard::credentials_cb(git_credential** out, const char* url, const char* username_from_url,
                                     unsigned int allowed, void* payload) {
  auto* self = static_cast<GitTransferGuard*>(payload);
  // The URL asking: after a redirect it is another server, which gets that server's login (if
  // any), never the one of the host the source names.
  if (url)
    if (auto e = parse_git_endpoint(url); e && (e->host != self->endpoint_.host || e->port != self->endpoint_.port)) {
      self->endpoint_ = *e;
      self->userpass_step_ = 0;
      self->userpass_origin_.clear();
    }
  return self->credentials(out, username_from_url, allowed);
}

int GitTransferGuard::certificate_cb(git_cert* cert, int valid, const char* host, void* payload) {
  auto* self = static_cast<GitTransferGuard*>(payload);
  if (self->past_deadline()) return GIT_EUSER;
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
    return self->check_host_key(reinterpret_cast<const git_cert_hostkey*>(cert), host ? host : "");
  if (valid) return 0;
  return self->refuse("the TLS certificate of " + std::string(host ? host : "the server") +
                      " is not trusted (not signed by a CA of " +
                      (self->ca_bundle_.empty() ? std::string("the system's CA store; set ca_bundle: FILE in the client config for a private CA")
                                                : "ca_bundle " + self->ca_bundle_) +
                      ", or not issued for that host name)");
}

int GitTransferGuard::transfer_cb(const git_indexer_progress* /*stats*/, void* payload) {
  return static_cast<GitTransferGuard*>(payload)->past_deadline() ? GIT_EUSER : 0;
}

int GitTransferGuard::sideband_cb(const char* str, int len, void* payload) {
  auto* self = static_cast<GitTransferGuard*>(payload);
  if (str && len > 0 && self->remote_messages_.size() < 4096)
    self->remote_messages_.append(str, std::min(static_cast<size_t>(len), 4096 - self->remote_messages_.size()));
  return self->past_deadline() ? GIT_EUSER : 0;
}

void GitTransferGuard::install_push(git_remote_callbacks* cb) {
  install(cb);
  cb->push_update_reference = &GitTransferGuard::push_update_cb;
}

int GitTransferGuard::push_update_cb(const char* refname, const char* status, void* payload) {
  auto* self = static_cast<GitTransferGuard*>(payload);
  if (status && self->rejected_.empty())
    self->rejected_ = std::string(refname ? refname : "the branch") + ": " + (*status ? status : "refused");
  return 0;
}

int GitTransferGuard::credentials(git_credential** out, const char* username_from_url, unsigned int allowed) {
  if (past_deadline()) return GIT_EUSER;
  if (allowed & GIT_CREDENTIAL_SSH_KEY) return ssh_key(out, username_from_url);
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    if (endpoint_.scheme == "ssh")
      return refuse("the ssh server accepts no key for user " + std::string(username_from_url ? username_from_url : "git") +
                    " (only passwords, which roux does not send over ssh)");
    return userpass(out);
  }
  if (allowed & GIT_CREDENTIAL_USERNAME)
    return git_lib().git_credential_username_new(out, username_from_url && *username_from_url ? username_from_url : "git");
  return GIT_PASSTHROUGH;
}

int GitTransferGuard::userpass(git_credential** out) {
  const std::string& host = endpoint_.host;
  auto offer = [&](const NetrcEntry& e, std::string origin) {
    redact::add_secret(e.password);
    userpass_origin_ = std::move(origin);
    return git_lib().git_credential_userpass_plaintext_new(out, e.login.c_str(), e.password.c_str());
  };
  while (userpass_step_ < 3) {
    int step = userpass_step_++;
    if (step == 0 && !options_.netrc.empty()) {
      auto text = read_secret_file(options_.netrc, "the credentials file (client config git: {netrc: ...})");
      if (!text.is_ok()) return refuse(text.status().message());
      if (auto e = netrc_lookup(*text, host))
        return offer(*e, "the login \"" + e->login + "\" of " + options_.netrc + " (machine " + host + ")");
    } else if (step == 1) {
      std::string home = home_dir();
      if (home.empty()) continue;
      std::string path = home + "/.netrc";
      if (::access(path.c_str(), F_OK) != 0) continue;
      auto text = read_secret_file(path, "the running user's netrc");
      if (!text.is_ok()) return refuse(text.status().message());
      if (auto e = netrc_lookup(*text, host))
        return offer(*e, "the login \"" + e->login + "\" of " + path + " (machine " + host + ")");
    } else if (step == 2 && !options_.credential_helper.empty()) {
      // git's credential helper protocol (gitcredentials(7)): "get", key=value lines both ways.
      SubprocessOptions run = shell(options_.credential_helper + " get");
      run.stdin_data = "protocol=" + endpoint_.scheme + "\nhost=" + host +
                       (endpoint_.port > 0 ? ":" + std::to_string(endpoint_.port) : "") + "\npath=" +
                       (endpoint_.path.empty() ? "" : endpoint_.path.substr(1)) + "\n\n";
      run.timeout = std::chrono::seconds(30);
      auto r = run_subprocess(run);
      if (!r.is_ok() || r->exit_code != 0)
        return refuse("the credential helper (client config git: {credential_helper: ...}) failed: " +
                      (r.is_ok() ? (r->timed_out ? std::string("no answer within 30 s") : "exit " + std::to_string(r->exit_code))
                                 : r.status().message()));
      NetrcEntry e;
      for (const auto& line : split_lines(r->output)) {
        if (starts_with(line, "username=")) e.login = line.substr(9);
        if (starts_with(line, "password=")) e.password = line.substr(9);
      }
      if (!e.password.empty()) return offer(e, "the login \"" + e.login + "\" of the credential helper (client config git: {credential_helper: ...})");
    }
  }
  if (!userpass_origin_.empty()) return refuse("the server refused " + userpass_origin_);
  if (url_password_) return refuse("the server refused the credentials in the source URL");
  std::string looked = options_.netrc.empty() ? "" : options_.netrc + ", ";
  looked += (home_dir().empty() ? std::string("~") : home_dir()) + "/.netrc";
  if (!options_.credential_helper.empty()) looked += ", the credential helper";
  return refuse("the server asks for a login and none was found for " + host + " (looked in " + looked +
                "); add \"machine " + host + " login USER password PASSWORD\" to the file named by git: {netrc: FILE} "
                "in the client config (mode 0600)");
}

int GitTransferGuard::ssh_key(git_credential** out, const char* username_from_url) {
  std::string user = username_from_url && *username_from_url ? username_from_url : "git";
  if (++ssh_attempts_ > 1) {
    if (options_.ssh_key.empty())
      return refuse("the ssh server refused the ssh agent's keys for user " + user +
                    " (cron and systemd have no agent: set git: {ssh_key: FILE} in the client config)");
    return refuse("the ssh server refused the key " + options_.ssh_key + " (client config git: {ssh_key: ...}) for user " +
                  user + "; add its public key to that user's authorized_keys on the server");
  }
  if (options_.ssh_key.empty()) {
    const char* agent = std::getenv("SSH_AUTH_SOCK");
    if (!agent || !*agent)
      return refuse("no ssh key for user " + user + ": set git: {ssh_key: FILE} in the client config (there is no "
                    "ssh agent here, as under cron and systemd)");
    return git_lib().git_credential_ssh_key_from_agent(out, user.c_str());
  }
  auto key = read_secret_file(options_.ssh_key, "the ssh key (client config git: {ssh_key: ...})");
  if (!key.is_ok()) return refuse(key.status().message());
  std::string passphrase;
  if (!options_.ssh_passphrase_file.empty()) {
    auto p = read_secret_file(options_.ssh_passphrase_file, "the ssh key's passphrase file (client config git: {ssh_passphrase_file: ...})");
    if (!p.is_ok()) return refuse(p.status().message());
    passphrase = *p;
    while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) passphrase.pop_back();
    redact::add_secret(passphrase);
  }
  return git_lib().git_credential_ssh_key_new(out, user.c_str(), nullptr, options_.ssh_key.c_str(),
                                              passphrase.empty() ? nullptr : passphrase.c_str());
}

int GitTransferGuard::check_host_key(const git_cert_hostkey* key, const std::string& host) {
  bool configured = !options_.known_hosts.empty();
  std::string file = configured ? options_.known_hosts : home_dir() + "/.ssh/known_hosts";
  std::string where = file + (configured ? " (client config git: {known_hosts: ...})"
                                         : " (the running user's; or set git: {known_hosts: FILE} in the client config)");
  int port = endpoint_.port > 0 ? endpoint_.port : 22;
  std::string name = host_port(host, port);
  if (!(key->type & GIT_CERT_SSH_RAW) || !(key->type & GIT_CERT_SSH_SHA256))
    return refuse("ssh host " + name + ": libgit2 gave no host key to check against " + file);
  std::string offered = std::string(ssh_key_type(key->raw_type)) + " key " + ssh_fingerprint(key->hash_sha256);
  auto api = libs::ssh2();
  if (!api.is_ok()) return refuse(api.status().message());
  const libs::Ssh2& ssh = **api;
  if (::access(file.c_str(), R_OK) != 0)
    return refuse("ssh host " + name + " offered the " + offered + ", and the known_hosts file " + where +
                  " cannot be read: " + std::strerror(errno));
  LIBSSH2_SESSION* session = ssh.libssh2_session_init_ex(nullptr, nullptr, nullptr, nullptr);
  if (!session) return refuse("libssh2: cannot make a session");
  LIBSSH2_KNOWNHOSTS* hosts = ssh.libssh2_knownhost_init(session);
  int rc = hosts ? ssh.libssh2_knownhost_readfile(hosts, file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) : -1;
  int check = LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  if (rc >= 0) {
    libssh2_knownhost* found = nullptr;
    check = ssh.libssh2_knownhost_checkp(hosts, host.c_str(), port, key->hostkey, key->hostkey_len,
                                         LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                             knownhost_key_mask(key->raw_type),
                                         &found);
  }
  if (hosts) ssh.libssh2_knownhost_free(hosts);
  ssh.libssh2_session_free(session);
  if (rc < 0)
    return refuse("the known_hosts file " + where + " could not be read by libssh2 (error " + std::to_string(rc) +
                  "; one line per host: HOST KEYTYPE BASE64KEY)");
  switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return 0;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      return refuse("the ssh host key of " + name + " does not match its entry in the known_hosts file " + where +
                    ": the host offered the " + offered +
                    ". If that key was changed on purpose, replace the host's line in that file; otherwise someone may "
                    "be in the middle");
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
      return refuse("ssh host " + name + " is not in the known_hosts file " + where + "; it offered the " + offered +
                    ": after checking that fingerprint with the server's owner, add the host's key to that file "
                    "(ssh-keyscan " + (port != 22 ? "-p " + std::to_string(port) + " " : std::string()) + host + ")");
    default:
      return refuse("ssh host " + name + ": checking its key against " + where + " failed");
  }
}

Status guarded_fetch(git_repository* repo, const std::string& remote, const std::vector<std::string>& refspecs,
                     const GitTransferSettings& settings, git_indexer_progress* stats) {
  auto last_error = [&](int rc) {
    const ::git_error* e = git_lib().git_error_last();
    std::string msg = e && e->message ? e->message : "libgit2 error " + std::to_string(rc);
    // A libgit2 message may quote the URL: never with its credentials.
    std::string shown = redact::strip_url_credentials(remote);
    for (size_t p; shown != remote && (p = msg.find(remote)) != std::string::npos;) msg.replace(p, remote.size(), shown);
    return msg;
  };
  libs::Git2Owned<git_remote, &libs::Git2::git_remote_free> r;
  if (int rc = git_lib().git_remote_create_anonymous(&r.p, repo, remote.c_str()); rc != 0)
    return Status::invalid_input(last_error(rc));
  git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
  fo.prune = GIT_FETCH_PRUNE;
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the refspecs name them
  GitTransferGuard guard(settings.options, remote, settings.ca_bundle, settings.timeout_s);
  guard.install(&fo.callbacks);
  if (!settings.ca_bundle.empty())  // process-wide in libgit2; every fetch of a run has the same one
    if (int rc = git_lib().git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, settings.ca_bundle.c_str(), nullptr); rc != 0)
      return Status::invalid_input("ca_bundle " + settings.ca_bundle + ": " + last_error(rc));
  std::vector<std::string> copies = refspecs;
  std::vector<char*> specs;
  for (auto& c : copies) specs.push_back(c.data());
  git_strarray list = {specs.data(), specs.size()};
  if (int rc = git_lib().git_remote_fetch(r.p, &list, &fo, nullptr); rc != 0) return Status::io_msg(guard.failure(last_error(rc)));
  if (stats) *stats = *git_lib().git_remote_stats(r.p);
  return Status::ok();
}

Status guarded_push(git_repository* repo, const std::string& remote, const std::string& refspec,
                    const GitTransferSettings& settings) {
  ROUX_TRY(libs::git2_write().status());
  const std::string shown = redact::strip_url_credentials(remote);
  auto clean = [&](std::string msg) {  // a remote's or libgit2's text may quote the URL: never its credentials
    for (size_t p; shown != remote && (p = msg.find(remote)) != std::string::npos;) msg.replace(p, remote.size(), shown);
    return redact::redact(msg);
  };
  auto last_error = [&](int rc) {
    const ::git_error* e = git_lib().git_error_last();
    return clean(e && e->message ? e->message : "libgit2 error " + std::to_string(rc));
  };
  libs::Git2Owned<git_remote, &libs::Git2::git_remote_free> r;
  if (int rc = git_lib().git_remote_create_anonymous(&r.p, repo, remote.c_str()); rc != 0)
    return Status::invalid_input(last_error(rc));
  git_push_options po = GIT_PUSH_OPTIONS_INIT;
  GitTransferGuard guard(settings.options, remote, settings.ca_bundle, settings.timeout_s);
  guard.install_push(&po.callbacks);
  if (!settings.ca_bundle.empty())
    if (int rc = git_lib().git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, settings.ca_bundle.c_str(), nullptr); rc != 0)
      return Status::invalid_input("ca_bundle " + settings.ca_bundle + ": " + last_error(rc));
  std::string spec = refspec;
  char* specs[] = {spec.data()};
  git_strarray list = {specs, 1};
  int rc = libs::must(libs::git2_write()).git_remote_push(r.p, &list, &po);
  std::string said = clean(guard.remote_messages());
  while (!said.empty() && (said.back() == '\n' || said.back() == '\r' || said.back() == ' ')) said.pop_back();
  said = one_line(said, 400);
  const std::string remote_said = said.empty() ? "" : " (the remote said: " + said + ")";
  if (rc == GIT_ENONFASTFORWARD) return Status::conflict("not a fast-forward: " + last_error(rc));
  if (rc != 0) return Status::io_msg(guard.failure(last_error(rc)) + remote_said);
  if (const std::string& why = guard.rejected(); !why.empty()) {
    // receive-pack's words for "the branch is not where you fetched it": another writer won.
    for (const char* moved : {"fetch first", "non-fast-forward", "stale info", "cannot lock ref", "failed to update ref",
                              "incorrect old value"})
      if (why.find(moved) != std::string::npos) return Status::conflict("the remote refused " + clean(why) + remote_said);
    return Status::untrusted("the remote refused " + clean(why) + remote_said);
  }
  return Status::ok();
}

}  // namespace roux::sources
