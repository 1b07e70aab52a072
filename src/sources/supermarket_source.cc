// The supermarket: index parsing, verified downloads, and the Source for http(s):// and file://.
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/log.h"
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

namespace {

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
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
  for (const auto& [name, versions] : j.items()) {
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
  return json_dump(j, 2) + "\n";
}

Result<FetchedIndex> fetch_index(const std::string& base_url, const SupermarketOptions& opts) {
  FetchedIndex out;
  out.base_url = base_url;
  const std::string index_url = resolve_url(base_url, kIndexFile), sig_url = index_url + ".sig";
  FetchRequest req{index_url};
  req.ca_bundle = opts.ca_bundle;
  req.max_bytes = size_t(32) << 20;
  std::string cdir = opts.index_cache_dir;
  nlohmann::json validators;
  if (!cdir.empty() && !starts_with(base_url, "file://")) {
    auto v = read_local_file(cdir + "/validators.json", 1 << 16);
    std::error_code ec;
    if (v.is_ok() && fs::exists(cdir + "/universe", ec) && fs::exists(cdir + "/universe.sig", ec)) {
      // Our own cache file: anything unexpected in it (not JSON, a field of another type) only
      // means an unconditional download, like having no validators at all.
      validators = nlohmann::json::parse(*v, nullptr, false);
      if (json_string(validators, "url") == index_url) {
        req.etag = json_string(validators, "etag");
        req.last_modified = json_string(validators, "last_modified");
      }
    }
  }
  auto resp = fetch_url(req);
  if (!resp.is_ok()) {
    if (resp.status().code() == Code::kNotFound)
      return Status::not_found(base_url + ": no supermarket index (" + resp.status().message() + ")");
    if (req.etag.empty() && req.last_modified.empty()) return resp.status();
    // Unreachable, but a verified copy from an earlier run is here: use it, loudly.
    log::warn(base_url + ": unreachable (" + resp.status().message() + "); using the index cached by an earlier run");
    resp = FetchResponse{304, "", "", ""};
  }
  if (resp->status == 304) {
    ROUX_ASSIGN_OR_RETURN(out.bytes, read_local_file(cdir + "/universe"));
    ROUX_ASSIGN_OR_RETURN(out.signature, read_local_file(cdir + "/universe.sig", 1 << 16));
    out.not_modified = true;
  } else {
    out.bytes = std::move(resp->body);
    FetchRequest sreq{sig_url};
    sreq.ca_bundle = opts.ca_bundle;
    sreq.max_bytes = 1 << 16;
    auto sig = fetch_url(sreq);
    if (!sig.is_ok()) {
      if (sig.status().code() == Code::kNotFound)
        return Status::untrusted(index_url + ": index signature check failed: the index is unsigned (" + sig_url +
                                 " not found)");
      return sig.status();
    }
    out.signature = std::move(sig->body);
  }
  // The signature first: not a byte of an unverified index is interpreted.
  auto signer = opts.trust.verify(out.bytes, out.signature, index_url + ": index signature check failed: index");
  if (!signer.is_ok()) {
    // A 304 served our own verified copy; if it no longer verifies, the cache was altered.
    return Status::untrusted(signer.status().message());
  }
  ROUX_ASSIGN_OR_RETURN(out.index, parse_index(out.bytes, index_url));
  if (!cdir.empty() && !out.not_modified && !starts_with(base_url, "file://") &&
      (!resp->etag.empty() || !resp->last_modified.empty())) {
    std::error_code ec;
    fs::create_directories(cdir, ec);
    nlohmann::json v = {{"url", index_url}, {"etag", resp->etag}, {"last_modified", resp->last_modified}};
    Status s = write_local_file_atomic(cdir + "/universe", out.bytes, 0644);
    if (s.is_ok()) s = write_local_file_atomic(cdir + "/universe.sig", out.signature, 0644);
    if (s.is_ok()) s = write_local_file_atomic(cdir + "/validators.json", json_dump(v) + "\n", 0644);
    if (!s.is_ok()) log::warn("could not cache the supermarket index: " + s.to_string());
  }
  return out;
}

Result<VerifiedTarball> download_tarball(const std::string& base_url, const IndexEntry& entry,
                                         const SupermarketOptions& opts) {
  const std::string url = resolve_url(base_url, entry.download_url);
  const std::string sig_url = entry.signature_url.empty() ? url + ".sig" : resolve_url(base_url, entry.signature_url);
  const std::string what = entry.name + " " + entry.version.to_string() + " (" + url + ")";
  FetchRequest req{url};
  req.ca_bundle = opts.ca_bundle;
  auto tar = fetch_url(req);
  if (!tar.is_ok()) {
    if (tar.status().code() == Code::kNotFound)
      return Status::not_found(what + ": download failed: the index points to a missing file");
    return tar.status().with_context(what + ": download failed");
  }
  FetchRequest sreq{sig_url};
  sreq.ca_bundle = opts.ca_bundle;
  sreq.max_bytes = 1 << 16;
  auto sig = fetch_url(sreq);
  if (!sig.is_ok()) {
    if (sig.status().code() == Code::kNotFound)
      return Status::untrusted(what + ": signature check failed: the tarball is unsigned (" + sig_url + " not found)");
    return sig.status().with_context(what + ": signature download failed");
  }
  ROUX_TRY(opts.trust.verify(tar->body, sig->body, what).status());
  std::string got = sha256_hex(tar->body);
  if (got != entry.sha256)
    return Status::untrusted(what + ": sha256 check failed: the tarball's sha256 is " + got + " but the index says " +
                             entry.sha256);
  return VerifiedTarball{std::move(tar->body), std::move(sig->body)};
}

namespace {

class SupermarketSource final : public Source {
 public:
  SupermarketSource(std::string url, SupermarketOptions opts, std::string cache_root)
      : url_(std::move(url)), opts_(std::move(opts)), cache_(std::move(cache_root)) {}
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
    // A cache hit by the lockfile's digest needs no network at all.
    if (!ref.sha256.empty()) {
      if (auto p = cache_.path_for(ref.sha256); p.is_ok()) return *p;
    }
    ROUX_TRY(load_index());
    const IndexEntry* e = index_->index.find(ref.name, ref.version);
    if (!e) return Status::not_found(what + ": not in the supermarket index");
    if (!ref.sha256.empty() && ref.sha256 != e->content_sha256)
      return Status::untrusted(what + ": lockfile check failed: the lockfile pins content sha256 " + ref.sha256 +
                               " but the signed index offers " + e->content_sha256);
    if (auto p = cache_.path_for(e->content_sha256); p.is_ok()) return *p;
    ROUX_ASSIGN_OR_RETURN(VerifiedTarball tar, download_tarball(url_, *e, opts_));
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
  Status load_index() {
    if (index_) return Status::ok();
    auto got = fetch_index(url_, opts_);
    if (!got.is_ok()) return got.status();
    index_ = std::make_unique<FetchedIndex>(std::move(*got));
    if (index_->not_modified) log::info(url_ + ": index not modified (304); using the verified cached copy");
    return Status::ok();
  }

  std::string url_;
  SupermarketOptions opts_;
  Cache cache_;
  std::unique_ptr<FetchedIndex> index_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_supermarket_source(const std::string& url, const SourceContext& ctx) {
  std::string u = url;
  while (u.size() > 8 && u.back() == '/') u.pop_back();
  SupermarketOptions opts;
  ROUX_ASSIGN_OR_RETURN(opts.trust, TrustStore::load(ctx.trusted_keys));
  opts.ca_bundle = ctx.ca_bundle;
  std::string cache_root = ctx.cache_dir.empty() ? (fs::temp_directory_path() / "roux-cache").string() : ctx.cache_dir;
  opts.index_cache_dir = cache_root + "/supermarket/" + sha256_hex(u).substr(0, 16);
  return std::unique_ptr<Source>(new SupermarketSource(u, std::move(opts), cache_root));
}

}  // namespace roux::sources
