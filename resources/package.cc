// package: a package installed (optionally at a pinned version), at the newest candidate
// (`latest`), absent or purged, and optionally held. Every package resource ready at the same
// time is converged in ONE transaction (batch_key "package"): installed state from one database
// read, candidates from one query (only when needed), the plan from the manager's own simulation
// (every package it would touch, dependencies included, versions from -> to). A package the
// sources do not know fails alone; the others still converge.
#include <algorithm>
#include <set>

#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/package_provider.h"

namespace roux::resources {
namespace {

class PackageResource : public engine::Resource {
 public:
  explicit PackageResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "package"; }
  std::string batch_key() const override { return "package:" + provider; }

  Status converge(engine::ConvergeContext& ctx) override {
    std::vector<Status> st = converge_batch({this}, {&ctx});
    return st.front();
  }

  std::vector<Status> converge_batch(const std::vector<engine::Resource*>& members,
                                     const std::vector<engine::ConvergeContext*>& ctxs) override;

  std::string package_name;   // what the manager calls it (default: the resource name)
  std::string ensure = "installed";
  std::string version;        // pin ("" = any / the candidate)
  std::optional<bool> hold;
  std::string provider;       // "" = detect
};

/// What one member must do, worked out before anything runs.
struct Plan {
  PackageResource* r = nullptr;
  engine::ConvergeContext* ctx = nullptr;
  Status status;                      // a failure found while planning (unknown package...)
  std::optional<PackageAction> action;
  std::string before;                 // installed version or "absent"
  std::string after;                  // wanted version or "absent"/"purged"
  std::optional<bool> hold_change;    // new hold value
  bool held_before = false;
};

std::vector<Status> PackageResource::converge_batch(const std::vector<engine::Resource*>& members,
                                                    const std::vector<engine::ConvergeContext*>& ctxs) {
  std::vector<Status> result(members.size());
  auto fail_all = [&](const Status& st) {
    for (auto& s : result) s = st;
    return result;
  };
  const host::Host& host = ctxs.front()->host();
  auto prov_or = package_provider_for(host, provider);
  if (!prov_or.is_ok()) return fail_all(prov_or.status());
  PackageProvider* prov = *prov_or;
  std::vector<std::string> names;
  for (const auto* m : members) names.push_back(static_cast<const PackageResource*>(m)->package_name);
  auto db_or = prov->installed(host, names);
  if (!db_or.is_ok()) return fail_all(db_or.status());
  const InstalledDb& db = **db_or;

  std::vector<Plan> plans(members.size());
  std::vector<std::string> need_candidates;
  for (size_t i = 0; i < members.size(); ++i) {
    Plan& p = plans[i];
    p.r = static_cast<PackageResource*>(members[i]);
    p.ctx = ctxs[i];
    auto it = db.find(p.r->package_name);
    InstalledPackage cur = it == db.end() ? InstalledPackage{} : it->second;
    p.before = cur.present ? cur.version : cur.config_files ? "absent (config files left)" : "absent";
    p.held_before = cur.held;
    const std::string& e = p.r->ensure;
    bool want_present = e == "installed" || e == "latest";
    if (want_present && (!cur.installed || e == "latest" || (!p.r->version.empty() && cur.version != p.r->version)))
      need_candidates.push_back(p.r->package_name);
    if (e == "absent" && cur.present) {
      p.action = PackageAction{PackageOp::kRemove, p.r->package_name, ""};
      p.after = "absent";
    } else if (e == "purged" && (cur.present || cur.config_files)) {
      p.action = PackageAction{PackageOp::kPurge, p.r->package_name, ""};
      p.after = "purged";
    }
    if (p.r->hold && *p.r->hold != cur.held) p.hold_change = *p.r->hold;
  }

  // Candidates come from the package lists: refresh them first when a source changed since the
  // last refresh (or they are older than the policy allows). Once per run: the refresh resets
  // what made it due. Recorded on the first member that needs candidates; when it fails, that
  // member fails with apt's error and the others go on with the lists as they are.
  if (!need_candidates.empty()) {
    auto due = prov->refresh_due(host, ctxs.front()->state_dir());
    if (!due.is_ok()) return fail_all(due.status());
    if (!due->empty()) {
      size_t first = 0;
      while (plans[first].r->package_name != need_candidates.front()) ++first;
      engine::ConvergeContext& c = *plans[first].ctx;
      std::string out;
      Status st = c.change({"apt_update", *due, "refreshed", "", true},
                           [&](host::Host& h) { return prov->refresh(h, c.state_dir(), &out); });
      c.add_output(out);
      if (!st.is_ok()) plans[first].status = st;
    }
  }
  std::map<std::string, PackageCandidates> cands;
  if (!need_candidates.empty()) {
    auto c = prov->candidates(host, need_candidates);
    if (!c.is_ok()) return fail_all(c.status());
    cands = std::move(*c);
  }
  for (Plan& p : plans) {
    const std::string& e = p.r->ensure;
    if (e != "installed" && e != "latest") continue;
    const std::string& n = p.r->package_name;
    if (std::find(need_candidates.begin(), need_candidates.end(), n) == need_candidates.end()) continue;
    auto it = cands.find(n);
    if (it == cands.end() || (it->second.candidate.empty() && p.r->version.empty())) {
      p.status = Status::not_found("package \"" + n + "\" is not available from the configured " +
                                   std::string(prov->name()) + " sources (no installation candidate)");
      continue;
    }
    const PackageCandidates& pc = it->second;
    std::string want = p.r->version.empty() ? pc.candidate : p.r->version;
    if (!p.r->version.empty() &&
        std::find(pc.versions.begin(), pc.versions.end(), p.r->version) == pc.versions.end()) {
      p.status = Status::not_found("package \"" + n + "\" version \"" + p.r->version +
                                   "\" is not available (known: " + (pc.versions.empty() ? "none" : join(pc.versions, ", ")) + ")");
      continue;
    }
    auto db_it = db.find(n);
    bool installed = db_it != db.end() && db_it->second.installed;
    if (installed && db_it->second.version == want) continue;
    if (installed && e == "installed" && p.r->version.empty()) continue;
    p.action = PackageAction{PackageOp::kInstall, n, p.r->version};
    p.after = want;
  }

  // One transaction for every member that needs one; the plan comes from the manager itself.
  std::vector<PackageAction> actions;
  for (const Plan& p : plans)
    if (p.status.is_ok() && p.action) actions.push_back(*p.action);
  std::vector<TransactionEntry> tx;
  if (!actions.empty()) {
    auto sim = prov->simulate(host, actions);
    if (!sim.is_ok()) {
      for (size_t i = 0; i < plans.size(); ++i)
        if (plans[i].status.is_ok() && plans[i].action) plans[i].status = sim.status();
      actions.clear();
    } else {
      tx = std::move(*sim);
    }
  }

  // Record: each member's own package, then the rest of the transaction (dependencies) on the
  // first member that asked for something. In apply, the first recorded change runs the whole
  // transaction; the others share its outcome.
  std::optional<Status> tx_status;
  std::string tx_output;
  // A held package whose version roux changes (the transaction runs with
  // --allow-change-held-packages, and apt leaves the new version unheld) is held again, unless its
  // resource asks for `hold: false`: the hold is the operator's, the version change is the policy's.
  std::vector<std::string> rehold;
  for (const auto& e : tx) {
    if (e.op == "remove" || e.op == "purge") continue;
    std::string name = e.name.substr(0, e.name.find(':'));
    auto it = db.find(name);
    if (it == db.end() || !it->second.held) continue;
    bool unhold_asked = std::any_of(plans.begin(), plans.end(), [&](const Plan& p) {
      return p.r->package_name == name && p.r->hold && !*p.r->hold;
    });
    if (!unhold_asked) rehold.push_back(name);
  }
  auto run_tx = [&](host::Host& h) -> Status {
    // The transaction's output (and apt's progress) as it comes, under the first member.
    for (const Plan& p : plans)
      if (p.ctx && p.status.is_ok()) {
        prov->output_stream = p.ctx->output_stream();
        break;
      }
    if (!tx_status) {
      tx_status = prov->apply(h, actions, &tx_output);
      if (tx_status->is_ok() && !rehold.empty()) {
        std::string out;
        tx_status = prov->set_hold(h, rehold, true, &out);
        tx_output += out;
      }
    }
    prov->output_stream = nullptr;
    return *tx_status;
  };
  std::set<std::string> member_names;
  for (const Plan& p : plans) member_names.insert(p.r->package_name);
  bool deps_recorded = false;
  for (size_t i = 0; i < plans.size(); ++i) {
    Plan& p = plans[i];
    if (!p.status.is_ok()) {
      result[i] = p.status;
      continue;
    }
    Status st;
    if (p.action) {
      for (const auto& e : tx) {
        if (e.name != p.r->package_name && e.name.substr(0, e.name.find(':')) != p.r->package_name) continue;
        std::string before = e.from.empty() ? "absent" : e.from;
        std::string after = e.op == "remove" ? "absent" : e.op == "purge" ? "purged" : e.to;
        if (e.op == "reinstall") after += " (reinstall)";
        Status s = p.ctx->change({"ensure", before, after, "", true}, run_tx);
        if (st.is_ok()) st = s;
      }
      if (!deps_recorded) {
        deps_recorded = true;
        for (const auto& e : tx) {
          if (member_names.count(e.name.substr(0, e.name.find(':')))) continue;
          std::string before = e.from.empty() ? "absent" : e.from;
          std::string after = e.op == "remove" ? "absent" : e.op == "purge" ? "purged" : e.to;
          Status s = p.ctx->change({"dependency " + e.name, before, after, "", true}, run_tx);
          if (st.is_ok()) st = s;
        }
      }
    }
    if (st.is_ok() && p.hold_change) {
      st = p.ctx->change({"hold", p.held_before ? "true" : "false", *p.hold_change ? "true" : "false", "", true},
                         [&](host::Host& h) -> Status {
                           std::string out;
                           Status s = prov->set_hold(h, {p.r->package_name}, *p.hold_change, &out);
                           p.ctx->add_output(out);
                           return s;
                         });
    }
    result[i] = st;
  }
  if (!tx_output.empty()) {
    for (size_t i = 0; i < plans.size(); ++i)
      if (plans[i].action && plans[i].status.is_ok()) {
        plans[i].ctx->add_output(tx_output);
        break;
      }
  }
  // Verify: after a successful transaction the database must say what we asked for.
  if (tx_status && tx_status->is_ok()) {
    auto after_db = prov->installed(host, names);
    if (after_db.is_ok()) {
      for (size_t i = 0; i < plans.size(); ++i) {
        Plan& p = plans[i];
        if (!p.action || !result[i].is_ok()) continue;
        auto it = (*after_db)->find(p.r->package_name);
        bool ok = p.action->op == PackageOp::kInstall ? it != (*after_db)->end() && it->second.installed &&
                                                            (p.after.empty() || it->second.version == p.after)
                  : p.action->op == PackageOp::kRemove ? it == (*after_db)->end() || !it->second.present
                                                       : it == (*after_db)->end() || (!it->second.present && !it->second.config_files);
        if (!ok)
          result[i] = Status::command_failed("package \"" + p.r->package_name + "\": " + std::string(prov->name()) +
                                             " succeeded but the package database does not show it " + p.after);
      }
    }
  }
  return result;
}

}  // namespace

engine::ResourceType package_type() {
  return {"package", "a system package: ensure installed|absent|purged|latest, version pin, hold (apt/dpkg)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<PackageResource>(name);
            r->package_name = props.string("package_name").value_or(name);
            if (r->package_name.empty() || r->package_name.find_first_of(" =/") != std::string::npos ||
                has_control_char(r->package_name) ||
                r->package_name[0] == '-')
              props.error("package_name", "\"" + one_line(r->package_name) + "\" is not a package name");
            r->ensure = props.one_of("ensure", {"installed", "absent", "purged", "latest"}).value_or("installed");
            r->version = props.string("version").value_or("");
            if (!r->version.empty() && r->ensure != "installed")
              props.error("version", "a version pin needs ensure: installed (got " + r->ensure + ")");
            if (r->version.find(' ') != std::string::npos || has_control_char(r->version))
              props.error("version", "must not contain spaces or control characters");
            r->hold = props.boolean("hold");
            r->provider = props.one_of("provider", {"apt"}).value_or("");
            return r;
          }};
}

}  // namespace roux::resources
