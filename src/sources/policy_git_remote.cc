// Writing a remote git policy repository (policy_groups.h "remote git policy repositories"): the
// local write (promote_in_git / publish_policy_to_git) in roux's clone of the remote, then a push
// of branch main through the client config's credentials, redone once on top of the remote's new
// main when someone else moved it meanwhile.
#include <functional>

#include "base/log.h"
#include "base/redact.h"
#include "base/strings.h"
#include "libs/git2_api.h"
#include "libs/git2_write_api.h"
#include "sources/git_auth.h"
#include "sources/policy_groups.h"

namespace roux::sources {
namespace {

/// Pushes branch main of the bare clone `clone` to the remote of `url` ("git+...").
Status push_main(const std::string& url, const std::string& clone, const PolicyRepoAccess& access) {
  const libs::Git2& g = libs::must(libs::git2());
  libs::Git2Owned<git_repository, &libs::Git2::git_repository_free> repo;
  if (int rc = g.git_repository_open_bare(&repo.p, clone.c_str()); rc != 0) {
    const ::git_error* e = g.git_error_last();
    return Status::io_msg(clone + ": " + (e && e->message ? e->message : "cannot open the clone"));
  }
  return guarded_push(repo.p, url.substr(4), std::string(kPolicyBranch) + ":" + kPolicyBranch,
                      {access.git, access.ca_bundle, access.timeout_s});
}

/// The commit at branch main of the bare clone `clone` ("" when it has none).
std::string main_of(const std::string& clone) {
  const libs::Git2& g = libs::must(libs::git2());
  libs::Git2Owned<git_repository, &libs::Git2::git_repository_free> repo;
  git_oid oid;
  if (g.git_repository_open_bare(&repo.p, clone.c_str()) != 0 ||
      libs::must(libs::git2_write()).git_reference_name_to_id(&oid, repo.p, kPolicyBranch) != 0)
    return "";
  char hex[GIT_OID_HEXSZ + 1];
  g.git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

/// Fetch, `write` in the clone (returns the commit it made, "" for none), push; once more when
/// the remote's main moved meanwhile. `what` names the change for messages ("group production of
/// policy web").
Status write_and_push(const std::string& url, const std::string& clone_parent, const PolicyRepoAccess& access,
                      const std::string& what, const std::function<Result<std::string>(const std::string& clone)>& write) {
  const std::string shown = redact::strip_url_credentials(url);
  for (int attempt = 1;; ++attempt) {
    // Forced fetch: the clone's main is the remote's, whatever an earlier failed push left in it.
    ROUX_ASSIGN_OR_RETURN(std::string clone, update_policy_clone(url, clone_parent, access, /*must_fetch=*/true));
    ROUX_ASSIGN_OR_RETURN(std::string commit, write(clone));
    if (commit.empty()) return Status::ok();
    Status pushed = push_main(url, clone, access);
    if (pushed.is_ok()) return pushed;
    if (pushed.code() == Code::kConflict) {
      if (attempt == 2)
        return Status::conflict(shown + ": branch main moved again while writing " + what +
                                " (someone else is promoting or publishing to this repository: " + pushed.message() +
                                "); nothing was pushed, " + what + " was not changed; run it again");
      log::warn(shown + ": branch main moved since it was fetched (" + pushed.message() +
                "); fetching it again and redoing the change on top");
      continue;
    }
    if (pushed.code() == Code::kUntrusted)  // the remote answered: it refused the update
      return Status::io_msg(shown + ": push of branch main failed: " + pushed.message() + "; " + what +
                            " was not changed in the remote repository");
    // The transfer broke (a login refused, the network, the deadline): ask the remote whether
    // the update landed before the answer was lost.
    auto again = update_policy_clone(url, clone_parent, access, /*must_fetch=*/true);
    if (!again.is_ok())
      return Status::io_msg(shown + ": push of branch main failed: " + pushed.message() + "; the remote could not be " +
                            "asked whether it took commit " + commit + " (check with roux policy status)");
    if (main_of(*again) == commit) {
      log::warn(shown + ": the push of branch main reported a failure (" + pushed.message() +
                "), but the remote's main is the pushed commit " + commit);
      return Status::ok();
    }
    return Status::io_msg(shown + ": push of branch main failed: " + pushed.message() + "; " + what +
                          " was not changed in the remote repository");
  }
}

}  // namespace

bool is_remote_policy_repo(const std::string& url) {
  return is_git_policy_source(url) && !starts_with(url, "git+file://");
}

Result<PromoteResult> promote_in_remote_git(const std::string& url, const std::string& name, const std::string& from,
                                            const std::string& to, const SigningKey& key, const TrustStore& trust,
                                            const std::string& clone_parent, const PolicyRepoAccess& access) {
  PromoteResult out;
  ROUX_TRY(write_and_push(url, clone_parent, access, "group " + to + " of policy " + name,
                          [&](const std::string& clone) -> Result<std::string> {
                            ROUX_ASSIGN_OR_RETURN(out, promote_in_git(clone, name, from, to, key, trust));
                            return out.moved ? out.commit : std::string();
                          }));
  return out;
}

Result<GitPublishResult> publish_policy_to_remote_git(const std::string& url, const std::string& name,
                                                      const std::string& group, const PolicyFiles& files,
                                                      const SigningKey& key, const std::string& clone_parent,
                                                      const PolicyRepoAccess& access) {
  GitPublishResult out;
  ROUX_TRY(write_and_push(url, clone_parent, access, "group " + group + " of policy " + name,
                          [&](const std::string& clone) -> Result<std::string> {
                            ROUX_ASSIGN_OR_RETURN(out, publish_policy_to_git(clone, name, group, files, key));
                            return out.moved ? out.commit : std::string();
                          }));
  return out;
}

}  // namespace roux::sources
