#include "cli/plan_file.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>

#include "base/json.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace roux::cli {
namespace {

constexpr const char* kFormat = "roux-plan/1";
constexpr const char* kKeyFile = "plan.key";
constexpr size_t kKeyHexLength = 64;  // 32 random bytes

nlohmann::ordered_json strings_json(const std::vector<std::string>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

/// The signed body: everything but "digest" and "hmac", in a fixed order.
nlohmann::ordered_json body_json(const SavedPlan& p) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["roux_version"] = p.roux_version;
  j["host"] = p.host;
  j["root"] = p.root;
  j["state_dir"] = p.state_dir;
  j["created"] = p.created;
  j["created_unix"] = p.created_unix;
  j["policy"] = p.policy;
  j["policy_file"] = p.policy_file;
  j["policy_digest"] = p.policy_digest;
  j["lock_digest"] = p.lock_digest;
  j["selection"] = {{"only", strings_json(p.selection.only)}, {"tags", strings_json(p.selection.tags)}};
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : p.changes)
    j["changes"].push_back({{"id", c.id},
                            {"property", c.property},
                            {"before", c.before},
                            {"after", c.after},
                            {"fingerprint", c.fingerprint}});
  return j;
}

bool equal_in_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::vector<std::string>> string_list(const nlohmann::ordered_json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_array()) return Status::invalid_input(std::string(key) + ": expected a list");
  for (const auto& s : j[key]) {
    if (!s.is_string()) return Status::invalid_input(std::string(key) + ": expected strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::string> load_plan_key(host::Host& host, const std::string& state_dir, bool create) {
  const std::string path = state_dir + "/" + kKeyFile;
  ROUX_ASSIGN_OR_RETURN(host::FileInfo info, host.lstat(path));
  if (info.exists()) {
    auto text = host.read_file(path, 4096);
    if (!text.is_ok()) return text.status().with_context("plan key");
    std::string key(trim(*text));
    if (key.size() != kKeyHexLength || !is_hex(key))
      return Status::invalid_input(path + ": not a plan key (expected " + std::to_string(kKeyHexLength) +
                                   " hex digits); remove it to make a new one (plans made with it are then refused)");
    return key;
  }
  if (!create) return Status::not_found(path + ": no plan key on this host, so no plan was saved here");
  unsigned char bytes[kKeyHexLength / 2];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::internal("plan key: no random bytes from OpenSSL");
  static const char* kHex = "0123456789abcdef";
  std::string key;
  for (unsigned char b : bytes) {
    key.push_back(kHex[b >> 4]);
    key.push_back(kHex[b & 15]);
  }
  ROUX_TRY(host.write_file(path, key + "\n", 0600, std::nullopt, std::nullopt).with_context("plan key"));
  return key;
}

std::string write_plan_text(SavedPlan& plan, const std::string& key) {
  nlohmann::ordered_json j = body_json(plan);
  const std::string body = json_dump(j);
  plan.digest = sha256_hex(body);
  j["digest"] = plan.digest;
  j["hmac"] = hmac_sha256_hex(key, body);
  return json_dump(j, 2) + "\n";
}

Result<SavedPlan> read_plan_text(std::string_view text, const std::string& key, const std::string& file) {
  auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || json_string(j, "format") != kFormat)
    return Status::invalid_input(file + ": not a roux plan file (format " + kFormat + "; made by `roux plan --out`)");
  std::string digest = json_string(j, "digest"), mac = json_string(j, "hmac");
  j.erase("digest");
  j.erase("hmac");
  const std::string body = json_dump(j);
  // The digest first: a torn or damaged file says so; then the signature: only this host's key
  // makes one, so an edited plan (a change added, removed or altered) is refused.
  if (!equal_in_constant_time(sha256_hex(body), digest) || !equal_in_constant_time(hmac_sha256_hex(key, body), mac))
    return Status::untrusted(file + ": the plan file was modified after it was written, or was made on another "
                             "host (its signature does not match this host's plan key); make a new plan");
  SavedPlan p;
  p.digest = digest;
  p.roux_version = json_string(j, "roux_version");
  p.host = json_string(j, "host");
  p.root = json_string(j, "root");
  p.state_dir = json_string(j, "state_dir");
  p.created = json_string(j, "created");
  if (j.contains("created_unix") && j["created_unix"].is_number_integer()) p.created_unix = j["created_unix"].get<int64_t>();
  p.policy = json_string(j, "policy");
  p.policy_file = json_string(j, "policy_file");
  p.policy_digest = json_string(j, "policy_digest");
  p.lock_digest = json_string(j, "lock_digest");
  // Signed by us, so well formed unless a roux bug wrote it: still checked, never trusted blindly.
  auto bad = [&](const Status& s) { return Status::invalid_input(file + ": " + s.message()); };
  if (!j.contains("selection") || !j["selection"].is_object()) return bad(Status::invalid_input("selection: expected a map"));
  auto only = string_list(j["selection"], "only");
  if (!only.is_ok()) return bad(only.status());
  auto tags = string_list(j["selection"], "tags");
  if (!tags.is_ok()) return bad(tags.status());
  p.selection = {*only, *tags};
  if (!j.contains("changes") || !j["changes"].is_array()) return bad(Status::invalid_input("changes: expected a list"));
  for (const auto& c : j["changes"]) {
    if (!c.is_object()) return bad(Status::invalid_input("changes: expected maps"));
    p.changes.push_back({json_string(c, "id"), json_string(c, "property"), json_string(c, "before"),
                         json_string(c, "after"), json_string(c, "fingerprint")});
  }
  return p;
}

std::vector<PlannedChange> planned_changes(const engine::Graph& graph) {
  std::vector<PlannedChange> out;
  for (const auto& n : graph.nodes()) {
    if (!n->selected) continue;
    for (const auto& c : n->changes)
      out.push_back({redact::redact(n->resource->id()), c.property, redact::redact(c.before), redact::redact(c.after),
                     c.fingerprint});
  }
  return out;
}

std::vector<std::string> compare_changes(const std::vector<PlannedChange>& saved,
                                         const std::vector<PlannedChange>& fresh) {
  // Matched by (id, property, fingerprint): the fingerprint covers the real before and after.
  auto key = [](const PlannedChange& c) { return c.id + '\n' + c.property + '\n' + c.fingerprint; };
  std::multimap<std::string, const PlannedChange*> unmatched_fresh;
  for (const auto& c : fresh) unmatched_fresh.emplace(key(c), &c);
  std::vector<const PlannedChange*> unmatched_saved;
  for (const auto& c : saved) {
    auto it = unmatched_fresh.find(key(c));
    if (it != unmatched_fresh.end()) unmatched_fresh.erase(it);
    else unmatched_saved.push_back(&c);
  }
  auto shown = [](const std::string& v) { return v.empty() ? std::string("(none)") : v; };
  std::vector<std::string> out;
  std::vector<const PlannedChange*> rest;
  for (const auto& [k, c] : unmatched_fresh) rest.push_back(c);
  // Fresh changes in plan order, so the list reads like the plan.
  std::sort(rest.begin(), rest.end());
  for (const PlannedChange* s : unmatched_saved) {
    auto same = std::find_if(rest.begin(), rest.end(),
                             [&](const PlannedChange* f) { return f->id == s->id && f->property == s->property; });
    std::string head = s->id + " " + s->property + ": ";
    if (same == rest.end()) {
      out.push_back(head + "no longer needed (" + shown(s->before) + " -> " + shown(s->after) + " is in the plan)");
      continue;
    }
    const PlannedChange& f = **same;
    if (f.before != s->before)
      out.push_back(head + "before is now " + shown(f.before) + "; the plan saw " + shown(s->before));
    else if (f.after != s->after)
      out.push_back(head + "after is now " + shown(f.after) + "; the plan has " + shown(s->after));
    else  // the display values agree; the fingerprint caught a sensitive (or hidden) value
      out.push_back(head + "the value moved since the plan (not shown: sensitive)");
    rest.erase(same);
  }
  for (const PlannedChange* f : rest)
    out.push_back(f->id + " " + f->property + ": needed now, not in the plan (" + shown(f->before) + " -> " + shown(f->after) + ")");
  return out;
}

}  // namespace roux::cli
