// Version resolution: a depth-first search over cookbooks in discovery order, newest version
// first, with backtracking. Sizes are small (tens of cookbooks, tens of versions), so copying the
// state per level keeps the code obvious; a step limit bounds pathological universes.
#include "sources/resolver.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"

namespace roux::sources {
namespace {

struct Req {
  Constraint constraint;
  std::string text;
  std::string why;
};

struct State {
  std::map<std::string, const CookbookRef*> chosen;
  std::vector<std::string> order;  // discovery order
  std::map<std::string, std::vector<Req>> reqs;
};

std::string describe(const std::string& name, const std::vector<Req>& reqs) {
  std::vector<std::string> parts;
  for (const auto& r : reqs) parts.push_back(r.why + " needs " + name + " " + r.constraint.to_string());
  return join(parts, "; ");
}

class Resolver {
 public:
  explicit Resolver(const ResolveRequest& req) : req_(req) {
    std::set<std::string> seen;
    for (const auto& ref : req.universe) {
      std::string key = ref.name + "@" + ref.version.to_string();
      if (!seen.insert(key).second) continue;  // an earlier source offers the same version
      by_name_[ref.name].push_back(&ref);
    }
    for (auto& [name, refs] : by_name_)
      std::stable_sort(refs.begin(), refs.end(),
                       [](const CookbookRef* a, const CookbookRef* b) { return a->version > b->version; });
  }

  ResolveResult run() {
    ResolveResult out;
    State s;
    for (const auto& r : req_.roots)
      if (std::find(s.order.begin(), s.order.end(), r) == s.order.end()) s.order.push_back(r);
    for (const auto& r : req_.requirements) {
      auto c = Constraint::parse(r.constraint);
      if (!c.is_ok()) {
        out.status = Status::invalid_input(r.why + ": " + r.name + ": " + c.status().message());
        out.failed_cookbook = r.name;
        return out;
      }
      s.reqs[r.name].push_back({*c, r.constraint, r.why});
    }
    if (solve(s)) {
      for (const auto& name : solution_.order) out.chosen.push_back(*solution_.chosen.at(name));
      return out;
    }
    if (steps_ > req_.max_steps) {
      out.status = Status::conflict("cannot resolve cookbook versions: gave up after " + std::to_string(req_.max_steps) +
                                    " candidates (add tighter constraints to the policy)");
      return out;
    }
    out.status = failure_;
    out.failed_cookbook = failure_name_;
    return out;
  }

 private:
  void fail(size_t depth, const std::string& name, Status s) {
    if (failure_name_.empty() || depth > failure_depth_) {
      failure_depth_ = depth;
      failure_name_ = name;
      failure_ = std::move(s);
    }
  }

  std::string available(const std::string& name) const {
    std::vector<std::string> vs;
    auto it = by_name_.find(name);
    if (it != by_name_.end())
      for (auto r = it->second.rbegin(); r != it->second.rend(); ++r) vs.push_back((*r)->version.to_string());
    return join(vs, ", ");
  }

  bool satisfiable(const std::string& name, const std::vector<Req>& reqs) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return false;
    for (const auto* ref : it->second) {
      bool ok = true;
      for (const auto& r : reqs) ok = ok && r.constraint.matches(ref->version);
      if (ok) return true;
    }
    return false;
  }

  bool solve(const State& s) {
    if (++steps_ > req_.max_steps) return false;
    std::string name;
    for (const auto& n : s.order)
      if (!s.chosen.count(n)) {
        name = n;
        break;
      }
    if (name.empty()) {
      solution_ = s;
      return true;
    }
    size_t depth = s.chosen.size();
    auto reqs_it = s.reqs.find(name);
    static const std::vector<Req> kNone;
    const std::vector<Req>& reqs = reqs_it == s.reqs.end() ? kNone : reqs_it->second;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      std::vector<std::string> by;
      for (const auto& r : reqs) by.push_back(r.why);
      fail(depth, name, Status::not_found("cookbook " + name + " not found in any source" +
                                          (by.empty() ? "" : " (needed by " + join(by, ", ") + ")")));
      return false;
    }
    bool any_matched = false;
    for (const CookbookRef* cand : it->second) {
      bool ok = !reqs.empty() || cand->version.pre.empty();  // no constraint: no pre-releases either
      for (const auto& r : reqs) ok = ok && r.constraint.matches(cand->version);
      if (!ok) continue;
      any_matched = true;
      if (++steps_ > req_.max_steps) return false;
      State next = s;
      next.chosen[name] = cand;
      std::string who = cand->name + " " + cand->version.to_string();
      bool consistent = true;
      for (const auto& [dep, text] : cand->depends) {
        auto c = Constraint::parse(text);
        if (!c.is_ok()) {
          fail(depth + 1, name, Status::invalid_input(who + ": depends: " + dep + ": " + c.status().message()));
          consistent = false;
          break;
        }
        auto& dreqs = next.reqs[dep];
        dreqs.push_back({*c, text, who});
        if (auto ch = next.chosen.find(dep); ch != next.chosen.end()) {
          if (!c->matches(ch->second->version)) {
            if (!satisfiable(dep, dreqs))
              fail(depth + 1, dep, Status::conflict("no version of cookbook " + dep + " satisfies: " +
                                                    describe(dep, dreqs) + " (available: " + available(dep) + ")"));
            else
              fail(depth + 1, dep, Status::conflict("cookbook " + dep + " " + ch->second->version.to_string() +
                                                    " was chosen, but " + who + " needs " + dep + " " +
                                                    c->to_string()));
            consistent = false;
            break;
          }
        } else if (std::find(next.order.begin(), next.order.end(), dep) == next.order.end()) {
          next.order.push_back(dep);
        }
      }
      if (consistent && solve(next)) return true;
      if (steps_ > req_.max_steps) return false;
    }
    if (!any_matched)
      fail(depth, name, Status::conflict("no version of cookbook " + name + " satisfies: " + describe(name, reqs) +
                                         " (available: " + available(name) + ")"));
    return false;
  }

  const ResolveRequest& req_;
  std::map<std::string, std::vector<const CookbookRef*>> by_name_;
  size_t steps_ = 0;
  State solution_;
  Status failure_;
  std::string failure_name_;
  size_t failure_depth_ = 0;
};

}  // namespace

ResolveResult resolve_versions(const ResolveRequest& request) { return Resolver(request).run(); }

}  // namespace roux::sources
