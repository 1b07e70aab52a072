#include "engine/resource.h"

#include <atomic>

#include "base/sha256.h"
#include "host/host.h"

namespace roux::engine {

namespace {
constexpr const char* kRedacted = "(sensitive)";
}

Status ConvergeContext::change(Change change, const std::function<Status(host::Host&)>& act) {
  if (fingerprint_key_ && !fingerprint_key_->empty())
    change.fingerprint = hmac_sha256_hex(*fingerprint_key_, change.property + '\0' + change.before + '\0' + change.after);
  if (sensitive_ && !change.is_public) {
    if (!change.before.empty()) change.before = kRedacted;
    if (!change.after.empty()) change.after = kRedacted;
    change.diff.clear();
  }
  if (gate_) ROUX_TRY(gate_(change));
  const uint64_t assumed = host_.predictions();
  // Each change's writes carry its own tag: one that fails when put in place later (the real
  // host defers renames to one pass) fails this resource, not a later one (engine/runner.cc).
  static std::atomic<uint64_t> next_tag{1};
  change.write_tag = next_tag.fetch_add(1, std::memory_order_relaxed);
  host_.set_write_tag(change.write_tag);
  Status st = act(host_);
  host_.set_write_tag(0);
  // A change whose act failed was not made: the resource reports the failure, not the change
  // (and a plan, whose planned host fails the same act, says the same).
  if (!st.is_ok()) return st;
  change.predicted = change.predicted || host_.predictions() != assumed;
  changes_.push_back(std::move(change));
  return st;
}

Status ConvergeContext::remove_stale_temp(const std::string& path) {
  if (!tidy_temps_) return Status::ok();  // set by the runner for apply runs only
  return host::remove_stale_temp_of(host_, path);
}

void ConvergeContext::add_output(std::string_view output) {
  if (sensitive_) {
    output_ = "(output suppressed: sensitive)";
    return;
  }
  output_.append(output);
}

Status Resource::refresh(ConvergeContext&, std::string_view) { return Status::ok(); }

std::vector<Status> Resource::converge_batch(const std::vector<Resource*>& members,
                                             const std::vector<ConvergeContext*>& ctxs) {
  std::vector<Status> out;
  for (size_t i = 0; i < members.size(); ++i) out.push_back(members[i]->converge(*ctxs[i]));
  return out;
}

std::vector<std::string> ancestor_dir_ids(std::string_view path) {
  std::vector<std::string> out;
  // Built in place, one allocation per id (this runs for every path resource of every compile).
  size_t depth = 0;
  for (size_t i = 1; i < path.size(); ++i) depth += path[i] == '/';
  out.reserve(2 * depth + 2);  // + owner and group (Ownership::add_implicit_deps)
  auto id = [&](std::string_view type, std::string_view ancestor) {
    std::string& s = out.emplace_back();
    s.reserve(type.size() + ancestor.size() + 2);
    s.append(type).append(1, '[').append(ancestor).append(1, ']');
  };
  size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string_view::npos) {
    id("directory", path.substr(0, pos));
    // A managed link on the way (the releases/N + current pattern): the path is below what
    // the link points to, so it follows the link.
    id("link", path.substr(0, pos));
  }
  return out;
}

}  // namespace roux::engine
