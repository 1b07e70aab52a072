#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "host/host.h"

namespace roux::resources {

/// Users created in one locked pass, as shadow's useradd makes them, without a process each
/// (docs/design.md "Accounts in one pass"). Used by the user type when several users are
/// created at once; anything it does not cover goes through useradd (account_batch_unsupported).

/// One `useradd [-u UID] [-g GROUP] [-G G1,G2] [-d HOME] -m|-M [-s SHELL] [-c COMMENT] [--system] NAME`
/// (plus `chpasswd -e` when `password` is set).
struct NewUser {
  std::string name;
  std::optional<uid_t> uid;
  std::optional<std::string> group;  // name or number
  std::vector<std::string> groups;
  std::optional<std::string> home, shell, comment, password;
  bool manage_home = false, system = false;
};

/// Why this host's accounts must go through useradd, or nullopt when the pass covers it: the
/// passwd, group and shadow databases are the files (nsswitch.conf names only `files` and
/// `systemd` for them), no tcb shadow, no mail spool to create, no account expiry or inactivity
/// default, SOURCE_DATE_EPOCH unset (useradd dates accounts by it), SELinux off.
std::optional<std::string> account_batch_unsupported(const host::Host& host);

/// The pass: opened under lckpwdf's lock (ROOT/etc/.pwd.lock, bounded wait), users staged one
/// by one in order (each checked and given its ids as useradd would, against the files and the
/// users staged before it), then committed: each changed file rewritten once (its `-` backup
/// first, like shadow's tools; group, gshadow, subuid, subgid, shadow, passwd last), made durable,
/// the lock released, then the home folders made from the skeleton.
class AccountPass {
 public:
  /// Takes the lock (waiting at most `wait_ms`) and reads the files.
  static Result<std::unique_ptr<AccountPass>> open(host::Host& host, int wait_ms = 15000);
  ~AccountPass();
  /// Checks `u` and adds it to the pass; fails as useradd would (nothing staged then).
  Status stage(const NewUser& u);
  /// Sets the password hash of a staged user (chpasswd -e after useradd).
  Status stage_password(const std::string& name, const std::string& hash);
  /// Writes everything staged; then the lock is released.
  Status commit();

 private:
  struct Impl;
  explicit AccountPass(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roux::resources
