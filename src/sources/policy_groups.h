#pragma once
// Policy groups and promotion (docs/supermarket.md "Policy groups and promotion"). A policy is
// locked once (its lockfile: the lock, named by the sha256 of its bytes); each group of hosts
// (staging, production) points at an exact lock; `roux promote` moves that lock, signed, from
// one group to another in the policy's source: a supermarket folder or a git policy repository.
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/supermarket.h"
#include "sources/trust.h"

namespace roux::sources {

/// One group of a published policy, read and verified: where it points and the two files it
/// runs. Plain data.
struct GroupView {
  std::string group;
  int64_t revision = 0;            // the supermarket revision (0 in a git policy repository)
  int64_t serial = 0;              // git: the pointer's serial, +1 on every move (0: written before serials)
  std::string content_sha256;      // content digest of policy.yaml + policy.lock.json
  std::string lock_sha256;         // sha256 of policy.lock.json: the lock
  std::string since, key_id, via;  // when, by which key, how it got there ("" when not recorded)
  PolicyFiles files;
};

/// What a promotion did.
struct PromoteResult {
  GroupView from;
  std::optional<GroupView> to_before;  // what the target group ran before (none: a new group)
  std::string to_before_problem;       // why the target's old lock could not be read, if it could not
  bool moved = false;                  // false: the target already ran this exact lock
  std::string commit;                  // git: the commit made ("" for a supermarket)
};

/// True for a git policy repository URL ("git+file://", "git+https://", ...).
bool is_git_policy_source(const std::string& url);

// ---- supermarket ----

/// Group `group` of policy `name` in the verified index `index` of the supermarket at
/// `base_url`: its tarball downloaded and checked (signature by a trusted key, sha256, safe
/// unpack, content digest, exactly the two files) and its lockfile checked against the lock the
/// group points at. kNotFound names what exists when the policy or group does not.
Result<GroupView> read_supermarket_group(const std::string& base_url, const SupermarketIndex& index,
                                         const std::string& name, const std::string& group,
                                         const SupermarketOptions& opts);

/// Points group `to` of policy `name` in the supermarket folder `dir` at the exact lock group
/// `from` runs, and re-signs the index with `key`, under the publish lock. Before anything is
/// written: the index's signature must verify against `trust`, and `from`'s policy tarball too
/// (signature, sha256, content, lock digest); any failure leaves the folder as it was.
Result<PromoteResult> promote_in_supermarket(const std::string& dir, const std::string& name, const std::string& from,
                                             const std::string& to, const SigningKey& key, const TrustStore& trust,
                                             int expiry_days);

// ---- git policy repositories ----
//
// One branch, main, holds every published policy:
//   policies/NAME/locks/CONTENT_SHA256/policy.yaml        a lock: the policy and its lockfile,
//   policies/NAME/locks/CONTENT_SHA256/policy.lock.json   by their content digest (never edited)
//   policies/NAME/groups/GROUP.json        the group's pointer: {"policy", "group", "serial",
//                                          "content_sha256", "lock_sha256", "since", "key_id", "via"}
//   policies/NAME/groups/GROUP.json.sig    its signature (sources/trust.h format)
// A publish or a promotion is one commit on main. Hosts read main at its newest commit.
// Each move of a pointer bumps its signed serial; a host remembers the highest serial it verified
// per repository, policy and group (in its trusted records) and refuses an older one, or one
// without a serial once it saw one: a repository rewound to an old, genuinely signed pointer is
// a rollback (the supermarket index's rule, docs/supermarket.md).

inline constexpr const char* kPolicyBranch = "refs/heads/main";

/// The local folder of a git policy repository that roux writes to: "git+file:///x" or a path.
Result<std::string> local_policy_repo(const std::string& source);

/// Commits the policy and lockfile `files` of policy `name` as a lock (when new) and points
/// `group` at it, signed with `key`, to the repository at `repo` (a local folder, bare or not;
/// only the branch is moved, never a work tree). No commit when the group already points at
/// identical content (`moved` false).
struct GitPublishResult {
  GroupView group;
  bool moved = false;
  std::string commit;
};
Result<GitPublishResult> publish_policy_to_git(const std::string& repo, const std::string& name, const std::string& group,
                                               const PolicyFiles& files, const SigningKey& key);

/// The git form of promote_in_supermarket: reads and verifies group `from` in the repository at
/// `repo` (the pointer's signature by a trusted key, its policy and group names, the lock's
/// content digest and lock digest), then commits the pointer of `to` naming the same lock,
/// signed with `key`.
Result<PromoteResult> promote_in_git(const std::string& repo, const std::string& name, const std::string& from,
                                     const std::string& to, const SigningKey& key, const TrustStore& trust);

/// Group `group` of policy `name` at branch main of the git repository in `repo_dir` (a
/// clone or the repository itself), verified as promote_in_git says. Messages name the
/// repository `shown` ("" = repo_dir).
Result<GroupView> read_git_group(const std::string& repo_dir, const std::string& name, const std::string& group,
                                 const TrustStore& trust, const std::string& shown = "");
/// Freshness of group `g` of policy `name` read from the git policy repository `shown` against
/// this host's trusted record in RECORD_DIR/git-policy/ (raised on success): kUntrusted for a
/// serial older than the one verified before, none after one was seen, or the same serial naming
/// other content (the message names both content digests).
Status check_pointer_serial(const std::string& record_dir, const std::string& shown, const std::string& name,
                            const GroupView& g);
/// The group names of policy `name` at branch main of `repo_dir` (sorted; none: kNotFound).
Result<std::vector<std::string>> git_group_names(const std::string& repo_dir, const std::string& name);

/// How roux reaches a remote git policy repository: the client config's `git:` settings
/// (credentials from a netrc file or a helper, an ssh key file, known_hosts), its `ca_bundle`, and
/// a deadline on the transfer (its `http:` timeout), as for git cookbook sources (git_auth.h).
struct PolicyRepoAccess {
  GitOptions git;
  std::string ca_bundle;
  long timeout_s = 0;  // 0 = no bound
};

/// Clones (bare, branch main only) the git policy repository `url` ("git+...") into
/// `clone_parent`, or fetches into the clone made earlier; returns the clone's folder. When the
/// remote cannot be reached and a clone exists, it is used with a warning (every pointer and lock
/// read from it is still verified), unless `must_fetch` (a writer: the remote's newest main or an error).
Result<std::string> update_policy_clone(const std::string& url, const std::string& clone_parent,
                                        const PolicyRepoAccess& access = {}, bool must_fetch = false);

// ---- remote git policy repositories (policy_git_remote.cc) ----
//
// A publisher writes a remote repository (git+https://, git+ssh://, git+git@host:path) as it
// writes a local one, in a clone: fetch main into roux's clone (update_policy_clone, which must
// succeed), verify and commit there (promote_in_git / publish_policy_to_git), then push main with
// the client config's credentials (guarded_push; never forced). When the remote's main moved in
// between (someone else promoted), the clone is fetched again and the change redone on top, once;
// a second move fails naming the group. A refused push changes nothing remote.

/// True for a git policy repository roux must push to: "git+" and not "git+file://".
bool is_remote_policy_repo(const std::string& url);

Result<PromoteResult> promote_in_remote_git(const std::string& url, const std::string& name, const std::string& from,
                                            const std::string& to, const SigningKey& key, const TrustStore& trust,
                                            const std::string& clone_parent, const PolicyRepoAccess& access);

Result<GitPublishResult> publish_policy_to_remote_git(const std::string& url, const std::string& name,
                                                      const std::string& group, const PolicyFiles& files,
                                                      const SigningKey& key, const std::string& clone_parent,
                                                      const PolicyRepoAccess& access);

/// A host's published policy from a git policy repository: update_policy_clone, then
/// read_git_group, then policy.yaml and policy.lock.json written into `dest_dir` (atomically).
/// `record_dir` ("" = none): the folder of the host's trusted records (SourceContext::trusted_dir);
/// the group's serial is checked against, and recorded in, RECORD_DIR/git-policy/ID.json.
Result<FetchedPolicy> fetch_git_policy(const std::string& url, const std::string& name, const std::string& group,
                                       const TrustStore& trust, const std::string& clone_parent,
                                       const std::string& dest_dir, const std::string& record_dir = "",
                                       const PolicyRepoAccess& access = {});

}  // namespace roux::sources
