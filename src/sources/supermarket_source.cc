// The supermarket: index parsing, verified downloads, and the Source for http(s):// and file://.
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "sources/cache.h"
#include "sources/http.h"
#include "sources/local_file.h"
#include "sources/metadata.h"
#include "sources/supermarket.h"

namespace roux::sources {

namespace fs = std::filesystem;

const IndexEntry* SupermarketIndex::find(const std::string& name, const Version& v) const {
  auto it = cookbooks.find(name);
  if (it == cookbooks.end()) return nullptr;
  for (const auto& [text, e] : it->second)
    if (e.version == v) return &e;
  return nullptr;
}

std::string tarball_name(const std::string& name, const Version& v) { return name + "-" + v.to_string() + ".tar.gz"; }

Result<int64_t> parse_utc(const std::string& text) {
  struct tm tm {};
  char z = 0;
  int n = 0;
  // Digits exactly where the form has them: sscanf's %d alone takes a sign or a blank
  // ("2026-11-30T-1:00:00Z" was read as hour -1, an hour earlier).
  static constexpr char kForm[] = "dddd-dd-ddTdd:dd:ddZ";
  bool shaped = text.size() == 20;
  for (size_t i = 0; shaped && i < 20; ++i)
    shaped = kForm[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0 : text[i] == kForm[i];
  if (!shaped ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &z, &n) != 7 ||
      z != 'Z' || n != 20 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return Status::invalid_input("\"" + text + "\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string format_utc(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// "_policies": {NAME: {"revisions": {"N": {download_url, sha256, content_sha256, key_id?,
// published?}}, "groups": {GROUP: N}}}. Every group names an existing revision.
Status parse_policies(const nlohmann::json& j, const std::string& at, SupermarketIndex* index) {
  if (!j.is_object()) return Status::invalid_input(at + "expected an object of policy names");
  auto is_name = [](const std::string& n) { return is_valid_cookbook_name(n); };
  auto text = [](const nlohmann::json& o, const char* key, bool required, const std::string& where,
                 std::string* out) -> Status {
    auto it = o.find(key);
    if (it == o.end() || it->is_null())
      return required ? Status::invalid_input(where + "missing \"" + key + "\"") : Status::ok();
    if (!it->is_string()) return Status::invalid_input(where + "\"" + key + "\" must be a string");
    *out = it->get<std::string>();
    return Status::ok();
  };
  auto revision_number = [](const std::string& t) -> int64_t {
    if (t.empty() || t.size() > 12 || t[0] == '0' || t.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoll(t);
  };
  for (const auto& [name, p] : j.items()) {
    const std::string where = at + name + ": ";
    if (!is_name(name)) return Status::invalid_input(at + "\"" + name + "\" is not a valid policy name");
    if (!p.is_object()) return Status::invalid_input(where + "expected an object with revisions and groups");
    PublishedPolicy out;
    auto revs = p.find("revisions");
    if (revs == p.end() || !revs->is_object()) return Status::invalid_input(where + "\"revisions\" must be an object");
    for (const auto& [rtext, r] : revs->items()) {
      const std::string rwhere = where + "revision " + rtext + ": ";
      PolicyRevision rev;
      rev.revision = revision_number(rtext);
      if (rev.revision < 1) return Status::invalid_input(rwhere + "a revision is a whole number >= 1");
      if (!r.is_object()) return Status::invalid_input(rwhere + "expected an object");
      ROUX_TRY(text(r, "download_url", true, rwhere, &rev.download_url));
      ROUX_TRY(text(r, "sha256", true, rwhere, &rev.sha256));
      ROUX_TRY(text(r, "content_sha256", true, rwhere, &rev.content_sha256));
      ROUX_TRY(text(r, "key_id", false, rwhere, &rev.key_id));
      ROUX_TRY(text(r, "published", false, rwhere, &rev.published));
      ROUX_TRY(text(r, "lock_sha256", false, rwhere, &rev.lock_sha256));
      if (!is_hex64(rev.sha256) || !is_hex64(rev.content_sha256) || (!rev.lock_sha256.empty() && !is_hex64(rev.lock_sha256)))
        return Status::invalid_input(rwhere + "sha256, content_sha256 and lock_sha256 must be 64 lower-case hex digits");
      out.revisions[rev.revision] = std::move(rev);
    }
    auto groups = p.find("groups");
    if (groups == p.end() || !groups->is_object()) return Status::invalid_input(where + "\"groups\" must be an object");
    for (const auto& [g, n] : groups->items()) {
      if (!is_name(g)) return Status::invalid_input(where + "\"" + g + "\" is not a valid group name");
      if (!n.is_number_integer() || !out.revisions.count(n.get<int64_t>()))
        return Status::invalid_input(where + "group " + g + " must name one of the revisions");
      out.groups[g] = n.get<int64_t>();
    }
    // "group_locks" (optional): {GROUP: {revision, lock_sha256, since?, key_id?, via?}}, each the
    // same revision as groups[GROUP] and, when the revision records its lock, the same lock.
    if (auto locks = p.find("group_locks"); locks != p.end() && !locks->is_null()) {
      if (!locks->is_object()) return Status::invalid_input(where + "\"group_locks\" must be an object");
      for (const auto& [g, l] : locks->items()) {
        const std::string lwhere = where + "group_locks: " + g + ": ";
        auto grp = out.groups.find(g);
        if (grp == out.groups.end()) return Status::invalid_input(lwhere + "not a group of the policy");
        if (!l.is_object()) return Status::invalid_input(lwhere + "expected an object");
        GroupLock gl;
        auto rn = l.find("revision");
        if (rn == l.end() || !rn->is_number_integer() || rn->get<int64_t>() != grp->second)
          return Status::invalid_input(lwhere + "\"revision\" must be the group's revision " + std::to_string(grp->second));
        gl.revision = grp->second;
        ROUX_TRY(text(l, "lock_sha256", true, lwhere, &gl.lock_sha256));
        ROUX_TRY(text(l, "since", false, lwhere, &gl.since));
        ROUX_TRY(text(l, "key_id", false, lwhere, &gl.key_id));
        ROUX_TRY(text(l, "via", false, lwhere, &gl.via));
        if (!is_hex64(gl.lock_sha256)) return Status::invalid_input(lwhere + "lock_sha256 must be 64 lower-case hex digits");
        const PolicyRevision& rev = out.revisions.at(gl.revision);
        if (!rev.lock_sha256.empty() && rev.lock_sha256 != gl.lock_sha256)
          return Status::invalid_input(lwhere + "lock_sha256 differs from revision " + std::to_string(gl.revision) +
                                       "'s lock_sha256");
        out.group_locks[g] = std::move(gl);
      }
    }
    index->policies[name] = std::move(out);
  }
  return Status::ok();
}

}  // namespace

Result<SupermarketIndex> parse_index(std::string_view text, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_input(what + ": index is not valid JSON: " + e.what());
  }
  if (!j.is_object()) return Status::invalid_input(what + ": index must be an object of cookbook names");
  SupermarketIndex index;
  if (auto meta = j.find("_index"); meta != j.end()) {
    const std::string at = what + ": _index: ";
    if (!meta->is_object()) return Status::invalid_input(at + "expected an object with serial and expires");
    auto serial = meta->find("serial");
    auto expires = meta->find("expires");
    if (serial == meta->end() || !serial->is_number_integer() || serial->get<int64_t>() < 1)
      return Status::invalid_input(at + "\"serial\" must be an integer >= 1");
    if (expires == meta->end() || !expires->is_string())
      return Status::invalid_input(at + "\"expires\" must be a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    index.serial = serial->get<int64_t>();
    index.expires = expires->get<std::string>();
    if (auto t = parse_utc(index.expires); !t.is_ok()) return Status::invalid_input(at + "expires: " + t.status().message());
    for (const auto& [k, v] : meta->items())
      if (k != "serial" && k != "expires") return Status::invalid_input(at + "unknown key \"" + k + "\" (known: serial, expires)");
  }
  if (auto pol = j.find("_policies"); pol != j.end()) ROUX_TRY(parse_policies(*pol, what + ": _policies: ", &index));
  for (const auto& [name, versions] : j.items()) {
    if (name == "_index" || name == "_policies") continue;
    if (!is_valid_cookbook_name(name)) return Status::invalid_input(what + ": \"" + name + "\" is not a valid cookbook name");
    if (!versions.is_object()) return Status::invalid_input(what + ": " + name + ": expected an object of versions");
    for (const auto& item : versions.items()) {
      // Named references, not a structured binding: the lambda below captures `v` (clang 14,
      // which builds the fuzz targets, cannot capture structured bindings).
      const std::string& vtext = item.key();
      const nlohmann::json& v = item.value();
      std::string at = what + ": " + name + " " + vtext + ": ";
      auto ver = Version::parse(vtext);
      if (!ver.is_ok()) return Status::invalid_input(at + ver.status().message());
      if (!v.is_object()) return Status::invalid_input(at + "expected an object");
      IndexEntry e;
      e.name = name;
      e.version = *ver;
      auto str = [&](const char* key, bool required, std::string* out) -> Status {
        auto it = v.find(key);
        if (it == v.end() || it->is_null()) {
          return required ? Status::invalid_input(at + "missing \"" + key + "\"") : Status::ok();
        }
        if (!it->is_string()) return Status::invalid_input(at + "\"" + key + "\" must be a string");
        *out = it->get<std::string>();
        return Status::ok();
      };
      ROUX_TRY(str("download_url", true, &e.download_url));
      ROUX_TRY(str("signature_url", false, &e.signature_url));
      ROUX_TRY(str("sha256", true, &e.sha256));
      ROUX_TRY(str("content_sha256", true, &e.content_sha256));
      ROUX_TRY(str("key_id", false, &e.key_id));
      ROUX_TRY(str("description", false, &e.description));
      if (!is_hex64(e.sha256)) return Status::invalid_input(at + "sha256 must be 64 lower-case hex digits");
      if (!is_hex64(e.content_sha256)) return Status::invalid_input(at + "content_sha256 must be 64 lower-case hex digits");
      if (auto d = v.find("dependencies"); d != v.end() && !d->is_null()) {
        if (!d->is_object()) return Status::invalid_input(at + "\"dependencies\" must be an object");
        for (const auto& [dn, dc] : d->items()) {
          if (!dc.is_string()) return Status::invalid_input(at + "dependency " + dn + " must be a constraint string");
          e.dependencies[dn] = dc.get<std::string>();
        }
      }
      index.cookbooks[name][vtext] = std::move(e);
    }
  }
  return index;
}

std::string index_to_json(const SupermarketIndex& index) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, versions] : index.cookbooks) {
    nlohmann::json vs = nlohmann::json::object();
    for (const auto& [vtext, e] : versions) {
      nlohmann::json o = {{"download_url", e.download_url},
                          {"dependencies", e.dependencies},
                          {"sha256", e.sha256},
                          {"content_sha256", e.content_sha256}};
      if (!e.signature_url.empty()) o["signature_url"] = e.signature_url;
      if (!e.key_id.empty()) o["key_id"] = e.key_id;
      if (!e.description.empty()) o["description"] = e.description;
      vs[vtext] = o;
    }
    j[name] = vs;
  }
  if (!index.policies.empty()) {
    nlohmann::json pj = nlohmann::json::object();
    for (const auto& [name, p] : index.policies) {
      nlohmann::json revs = nlohmann::json::object();
      for (const auto& [n, r] : p.revisions) {
        nlohmann::json o = {{"download_url", r.download_url}, {"sha256", r.sha256}, {"content_sha256", r.content_sha256}};
        if (!r.key_id.empty()) o["key_id"] = r.key_id;
        if (!r.published.empty()) o["published"] = r.published;
        if (!r.lock_sha256.empty()) o["lock_sha256"] = r.lock_sha256;
        revs[std::to_string(n)] = o;
      }
      pj[name] = {{"revisions", revs}, {"groups", p.groups}};
      if (!p.group_locks.empty()) {
        nlohmann::json locks = nlohmann::json::object();
        for (const auto& [g, l] : p.group_locks) {
          nlohmann::json o = {{"revision", l.revision}, {"lock_sha256", l.lock_sha256}};
          if (!l.since.empty()) o["since"] = l.since;
          if (!l.key_id.empty()) o["key_id"] = l.key_id;
          if (!l.via.empty()) o["via"] = l.via;
          locks[g] = o;
        }
        pj[name]["group_locks"] = locks;
      }
    }
    j["_policies"] = pj;
  }
  if (index.serial > 0) j["_index"] = {{"serial", index.serial}, {"expires", index.expires}};
  return json_dump(j, 2) + "\n";
}

namespace {

/// The trusted record of one supermarket URL (SupermarketOptions::record_file).
struct IndexRecord {
  std::string url;
  int64_t serial = 0;        // highest serial verified
  std::string sha256;        // of the index copy cached by the last run that cached one
  std::string etag, last_modified;
};

IndexRecord read_record(const std::string& file) {
  IndexRecord r;
  if (file.empty()) return r;
  auto text = read_local_file(file, 1 << 16);
  if (!text.is_ok()) return r;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) {
    log::warn(file + ": unreadable trusted record of a supermarket; starting a new one");
    return r;
  }
  // Typed reads: a field of another type reads as absent, never as an exception.
  r.url = json_string(j, "url");
  if (auto s = j.find("serial"); s != j.end() && s->is_number_integer()) r.serial = s->get<int64_t>();
  r.sha256 = json_string(j, "sha256");
  r.etag = json_string(j, "etag");
  r.last_modified = json_string(j, "last_modified");
  return r;
}

Status write_record(const std::string& file, const IndexRecord& r) {
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  if (ec) return Status::io("create " + fs::path(file).parent_path().string(), ec.value());
  nlohmann::json j = {{"url", r.url}, {"serial", r.serial}, {"sha256", r.sha256}, {"etag", r.etag},
                      {"last_modified", r.last_modified}};
  return write_local_file_atomic(file, json_dump(j, 2) + "\n", 0600);
}

}  // namespace

Result<FetchedIndex> fetch_index(const std::string& base_url, const SupermarketOptions& opts) {
  FetchedIndex out;
  out.base_url = base_url;
  const std::string index_url = resolve_url(base_url, kIndexFile), sig_url = index_url + ".sig";
  // What messages, records and the cache show: the URLs without their credentials (user:password@).
  const std::string shown_base = redact::strip_url_credentials(base_url);
  const std::string shown_index = redact::strip_url_credentials(index_url);
  const std::string shown_sig = redact::strip_url_credentials(sig_url);
  FetchRequest req{index_url};
  req.ca_bundle = opts.ca_bundle;
  req.limits = opts.transfer;
  req.max_bytes = size_t(32) << 20;
  const std::string cdir = starts_with(base_url, "file://") ? std::string() : opts.index_cache_dir;
  IndexRecord record = read_record(opts.record_file);
  if (record.url != shown_index) record = IndexRecord{shown_index};
  // The cached copy is used (304, offline) only when the trusted record vouches for its bytes: a
  // copy inside a --root tree may have been put there by whoever made the tree.
  std::string cached, cached_sig;
  bool have_copy = false;
  if (!cdir.empty() && !record.sha256.empty()) {
    auto c = read_local_file(cdir + "/universe", req.max_bytes);
    auto cs = read_local_file(cdir + "/universe.sig", 1 << 16);
    if (c.is_ok() && cs.is_ok() && sha256_hex(*c) == record.sha256) {
      cached = std::move(*c);
      cached_sig = std::move(*cs);
      have_copy = true;
      req.etag = record.etag;
      req.last_modified = record.last_modified;
    }
  }
  auto resp = fetch_url(req);
  if (!resp.is_ok()) {
    if (resp.status().code() == Code::kNotFound)
      return Status::not_found(shown_base + ": no supermarket index (" + resp.status().message() + ")");
    if (!have_copy || !opts.offline_fallback) return resp.status();
    // Unreachable, but a verified copy from an earlier run is here: use it, loudly.
    log::warn(shown_base + ": unreachable (" + resp.status().message() + "); using the index cached by an earlier run");
    resp = FetchResponse{304, "", "", ""};
  }
  if (resp->status == 304) {
    if (!have_copy) return Status::io_msg(shown_index + ": answered 304 Not Modified to an unconditional request");
    out.bytes = std::move(cached);
    out.signature = std::move(cached_sig);
    out.not_modified = true;
  } else {
    out.bytes = std::move(resp->body);
    FetchRequest sreq{sig_url};
    sreq.ca_bundle = opts.ca_bundle;
    sreq.limits = opts.transfer;
    sreq.max_bytes = 1 << 16;
    auto sig = fetch_url(sreq);
    if (!sig.is_ok()) {
      if (sig.status().code() == Code::kNotFound)
        return Status::untrusted(shown_index + ": index signature check failed: the index is unsigned (" + shown_sig +
                                 " not found)");
      return sig.status();
    }
    out.signature = std::move(sig->body);
  }
  // The signature first: not a byte of an unverified index is interpreted.
  auto signer = opts.trust.verify(out.bytes, out.signature, shown_index + ": index signature check failed: index");
  if (!signer.is_ok()) {
    // A 304 served our own verified copy; if it no longer verifies, the cache was altered.
    return Status::untrusted(signer.status().message());
  }
  ROUX_ASSIGN_OR_RETURN(out.index, parse_index(out.bytes, shown_index));
  // Freshness, after the signature (TUF's rollback and freeze rules): never older than what this
  // client verified before, never past its expiry.
  const int64_t now = opts.now ? opts.now : static_cast<int64_t>(::time(nullptr));
  if (out.index.serial == 0 && record.serial > 0)
    return Status::untrusted(shown_index + ": index rollback refused: the signed index has no serial, but serial " +
                             std::to_string(record.serial) + " was verified from this URL before (" + opts.record_file +
                             "); someone may be replaying an old index");
  if (out.index.serial > 0 && out.index.serial < record.serial)
    return Status::untrusted(shown_index + ": index rollback refused: the signed index has serial " +
                             std::to_string(out.index.serial) + ", older than serial " + std::to_string(record.serial) +
                             " verified from this URL before (" + opts.record_file +
                             "); someone may be replaying an old index");
  if (out.index.serial > 0) {
    ROUX_ASSIGN_OR_RETURN(int64_t expires, parse_utc(out.index.expires));
    if (expires <= now)
      return Status::untrusted(shown_index + ": index expired on " + out.index.expires + " (serial " +
                               std::to_string(out.index.serial) +
                               "); a stale index is refused; the publisher must re-sign it: `roux supermarket refresh "
                               "--to DIR --key KEY` (or publish a cookbook) in the supermarket folder");
  }
  IndexRecord next = record;
  next.serial = std::max(record.serial, out.index.serial);
  if (!cdir.empty() && !out.not_modified && (!resp->etag.empty() || !resp->last_modified.empty())) {
    std::error_code ec;
    fs::create_directories(cdir, ec);
    Status s = write_local_file_atomic(cdir + "/universe", out.bytes, 0644);
    if (s.is_ok()) s = write_local_file_atomic(cdir + "/universe.sig", out.signature, 0644);
    if (s.is_ok()) {
      next.sha256 = sha256_hex(out.bytes);
      next.etag = resp->etag;
      next.last_modified = resp->last_modified;
    } else {
      log::warn("could not cache the supermarket index: " + s.to_string());
    }
  }
  if (!opts.record_file.empty() && (next.serial != record.serial || next.sha256 != record.sha256 ||
                                    next.etag != record.etag || next.last_modified != record.last_modified)) {
    if (Status s = write_record(opts.record_file, next); !s.is_ok())
      log::warn("could not record the supermarket index serial: " + s.to_string());
  }
  return out;
}

Result<VerifiedTarball> download_tarball(const std::string& base_url, const IndexEntry& entry,
                                         const SupermarketOptions& opts, const std::string& part_file,
                                         size_t* resumed_from) {
  const std::string url = resolve_url(base_url, entry.download_url);
  return download_signed(base_url, entry.download_url, entry.signature_url, entry.sha256,
                         entry.name + " " + entry.version.to_string() + " (" + redact::strip_url_credentials(url) + ")",
                         opts, part_file, resumed_from);
}

Result<VerifiedTarball> download_signed(const std::string& base_url, const std::string& download_url,
                                        const std::string& signature_url, const std::string& sha256,
                                        const std::string& what, const SupermarketOptions& opts,
                                        const std::string& part_file, size_t* resumed_from) {
  const std::string url = resolve_url(base_url, download_url);
  const std::string sig_url = signature_url.empty() ? url + ".sig" : resolve_url(base_url, signature_url);
  FetchRequest req{url};
  req.ca_bundle = opts.ca_bundle;
  req.limits = opts.transfer;
  auto download = [&]() -> Result<ResumedFetch> {
    if (!part_file.empty()) return fetch_url_resumable(req, part_file);
    ROUX_ASSIGN_OR_RETURN(FetchResponse r, fetch_url(req));
    ResumedFetch f;
    f.body = std::move(r.body);
    return f;
  };
  auto tar = download();
  if (!tar.is_ok()) {
    if (tar.status().code() == Code::kNotFound)
      return Status::not_found(what + ": download failed: the index points to a missing file");
    return tar.status().with_context(what + ": download failed");
  }
  FetchRequest sreq{sig_url};
  sreq.ca_bundle = opts.ca_bundle;
  sreq.limits = opts.transfer;
  sreq.max_bytes = 1 << 16;
  auto sig = fetch_url(sreq);
  if (!sig.is_ok()) {
    if (sig.status().code() == Code::kNotFound)
      return Status::untrusted(what + ": signature check failed: the tarball is unsigned (" + redact::strip_url_credentials(sig_url) + " not found)");
    return sig.status().with_context(what + ": signature download failed");
  }
  auto verify = [&](const std::string& bytes) -> Status {
    ROUX_TRY(opts.trust.verify(bytes, sig->body, what).status());
    std::string got = sha256_hex(bytes);
    if (got != sha256)
      return Status::untrusted(what + ": sha256 check failed: the tarball's sha256 is " + got + " but the index says " +
                               sha256);
    return Status::ok();
  };
  Status ok = verify(tar->body);
  if (!ok.is_ok() && tar->resumed_from > 0) {
    // The kept start was not this file's: throw it away and download the whole file once more.
    log::warn(what + ": the resumed download failed verification (" + ok.message() + "); downloading it again");
    ::unlink(part_file.c_str());
    tar = download();
    if (!tar.is_ok()) return tar.status().with_context(what + ": download failed");
    ok = verify(tar->body);
  }
  if (!part_file.empty()) ::unlink(part_file.c_str());  // verified or refused: never resumed again
  ROUX_TRY(ok);
  if (resumed_from) *resumed_from = tar->resumed_from;
  return VerifiedTarball{std::move(tar->body), std::move(sig->body)};
}

namespace {

class SupermarketSource final : public Source {
 public:
  SupermarketSource(std::string url, SupermarketOptions opts, Cache cache)
      : url_(redact::strip_url_credentials(url)), fetch_url_(std::move(url)), opts_(std::move(opts)),
        cache_(std::move(cache)) {}
  const std::string& url() const override { return url_; }

  Result<std::vector<CookbookRef>> universe() override {
    ROUX_TRY(load_index());
    std::vector<CookbookRef> refs;
    for (const auto& [name, versions] : index_->index.cookbooks)
      for (const auto& [vtext, e] : versions)
        refs.push_back(CookbookRef{name, e.version, e.dependencies, url_, e.content_sha256, ""});
    return refs;
  }

  Result<std::string> fetch(const CookbookRef& ref) override {
    const std::string what = url_ + ": " + ref.name + " " + ref.version.to_string();
    // A cache hit by the lockfile's digest needs no network at all (re-hashed: a cache entry is
    // never trusted because its folder exists).
    if (!ref.sha256.empty()) {
      if (auto p = cached(ref.sha256); p.is_ok()) return *p;
    }
    ROUX_TRY(load_index());
    const IndexEntry* e = index_->index.find(ref.name, ref.version);
    if (!e) return Status::not_found(what + ": not in the supermarket index");
    if (!ref.sha256.empty() && ref.sha256 != e->content_sha256)
      return Status::untrusted(what + ": lockfile check failed: the lockfile pins content sha256 " + ref.sha256 +
                               " but the signed index offers " + e->content_sha256);
    if (auto p = cached(e->content_sha256); p.is_ok()) return *p;
    ROUX_ASSIGN_OR_RETURN(VerifiedTarball tar, download_tarball(fetch_url_, *e, opts_));
    // Verified: now, and only now, unpack, into a work folder of the cache.
    ROUX_ASSIGN_OR_RETURN(std::string tmp, cache_.make_temp_dir());
    ::rmdir(tmp.c_str());  // unpack_archive creates it, complete, or not at all
    ROUX_TRY(unpack_archive(tar.bytes, tmp, what, opts_.limits));
    auto digest = content_digest(tmp);
    std::error_code ec;
    if (!digest.is_ok() || *digest != e->content_sha256) {
      fs::remove_all(tmp, ec);
      if (!digest.is_ok()) return digest.status();
      return Status::untrusted(what + ": content check failed: the unpacked cookbook's sha256 is " + *digest +
                               " but the index says " + e->content_sha256);
    }
    ROUX_ASSIGN_OR_RETURN(std::string inserted, cache_.insert_dir(tmp));
    return cache_.path_for(inserted);
  }

 private:
  /// The cache entry for `digest`, re-hashed; an altered one is said and then fetched again.
  Result<std::string> cached(const std::string& digest) {
    auto p = cache_.verified_path(digest);
    if (!p.is_ok() && p.status().code() == Code::kUntrusted)
      log::warn(url_ + ": " + p.status().message() + "; fetching it again");
    return p;
  }

  Status load_index() {
    if (index_) return Status::ok();
    auto got = fetch_index(fetch_url_, opts_);
    if (!got.is_ok()) return got.status();
    index_ = std::make_unique<FetchedIndex>(std::move(*got));
    if (index_->not_modified) log::info(url_ + ": index not modified (304); using the verified cached copy");
    return Status::ok();
  }

  std::string url_;        // without credentials (user:password@): what the lockfile and reports show
  std::string fetch_url_;  // as the policy wrote it
  SupermarketOptions opts_;
  Cache cache_;
  std::unique_ptr<FetchedIndex> index_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_supermarket_source(const std::string& url, const SourceContext& ctx) {
  std::string u = url;
  while (u.size() > 8 && u.back() == '/') u.pop_back();
  ROUX_ASSIGN_OR_RETURN(SupermarketOptions opts, supermarket_options(u, ctx));
  std::string cache_root = ctx.cache_dir.empty() ? (fs::temp_directory_path() / "roux-cache").string() : ctx.cache_dir;
  Cache cache(cache_root, ctx.confine_root);
  return std::unique_ptr<Source>(new SupermarketSource(u, std::move(opts), std::move(cache)));
}

Result<SupermarketOptions> supermarket_options(const std::string& url, const SourceContext& ctx) {
  std::string u = url;
  while (u.size() > 8 && u.back() == '/') u.pop_back();
  SupermarketOptions opts;
  ROUX_ASSIGN_OR_RETURN(opts.trust, TrustStore::load(ctx.trusted_keys));
  opts.ca_bundle = ctx.ca_bundle;
  opts.transfer = ctx.transfer;
  std::string cache_root = ctx.cache_dir.empty() ? (fs::temp_directory_path() / "roux-cache").string() : ctx.cache_dir;
  Cache cache(cache_root, ctx.confine_root);
  const std::string key = sha256_hex(redact::strip_url_credentials(u)).substr(0, 16);
  // Resolved inside the --root tree: a planted symlink never takes the copy elsewhere (what does
  // not exist yet is appended as is, and made when the copy is first written).
  if (!starts_with(u, "file://"))
    if (auto dir = cache.subdir("supermarket/" + key, false); dir.is_ok()) opts.index_cache_dir = *dir;
  if (!ctx.trusted_dir.empty()) opts.record_file = ctx.trusted_dir + "/supermarket/" + key + ".json";
  return opts;
}

}  // namespace roux::sources
