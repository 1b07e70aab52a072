// Source resolution (cookbook_set.h): a policy's sources and a lockfile's pins in, the cookbooks
// chosen for the run (version, digest, local folder, provenance) out.
#include "sources/cookbook_set.h"

#include <algorithm>
#include <map>

#include "base/log.h"
#include "base/redact.h"
#include "base/strings.h"
#include "sources/cache.h"
#include "sources/git_source.h"

namespace roux::sources {

const ResolvedCookbook* CookbookSet::find(const std::string& name) const {
  for (const auto& c : cookbooks)
    if (c.ref.name == name) return &c;
  return nullptr;
}

std::vector<Status> SourceSet::open(const std::vector<std::string>& urls) {
  std::vector<Status> errors;
  for (const auto& url : urls) {
    // A password in a source URL is a secret: sources keep it out of url() (so the lockfile,
    // reports and messages), and the redactor masks it anywhere else (a library's error text).
    redact::add_secret(redact::url_password(url));
    auto src = open_source(url, ctx_);
    if (!src.is_ok()) errors.push_back(src.status());
    else sources_.push_back(std::move(*src));
  }
  return errors;
}

Source* SourceSet::source_for(const std::string& url, std::vector<Status>* errors) {
  for (auto& s : sources_)
    if (s->url() == redact::strip_url_credentials(url)) return s.get();
  auto src = open_source(url, ctx_);
  if (!src.is_ok()) {
    errors->push_back(src.status());
    return nullptr;
  }
  sources_.push_back(std::move(*src));
  return sources_.back().get();
}

CookbookSet SourceSet::resolve(const std::vector<std::string>& roots, const std::vector<Requirement>& requirements,
                               bool digests) {
  CookbookSet set;
  ResolveRequest req;
  for (auto& s : sources_) {
    auto u = s->universe();
    if (!u.is_ok()) {
      set.errors.push_back(u.status());
      continue;
    }
    req.universe.insert(req.universe.end(), u->begin(), u->end());
  }
  if (!set.errors.empty()) return set;
  req.roots = roots;
  req.requirements = requirements;
  ResolveResult r = resolve_versions(req);
  if (!r.ok()) {
    Status s = r.status;
    if (s.code() == Code::kNotFound) {
      std::vector<std::string> urls;
      for (auto& src : sources_) urls.push_back(src->url());
      s = Status::not_found(s.message() + " (searched " + join(urls, ", ") + ")");
    } else {
      s = Status::conflict(s.message());
    }
    set.errors.push_back(s);
    set.unresolvable = true;
    set.failed_cookbook = r.failed_cookbook;
    return set;
  }
  for (const auto& ref : r.chosen) {
    Source* src = source_for(ref.source, &set.errors);
    if (!src) continue;
    auto path = src->fetch(ref);
    if (!path.is_ok()) {
      set.errors.push_back(path.status());
      continue;
    }
    std::string digest;
    if (digests) {
      auto d = content_digest(*path);
      if (!d.is_ok()) {
        set.errors.push_back(d.status());
        continue;
      }
      digest = *d;
    }
    set.cookbooks.push_back({ref, *path, src->url(), digest});
  }
  return set;
}

std::string SourceSet::fetch_elsewhere(const std::vector<Source*>& search, const Source* skip,
                                       const PinnedCookbook& c, std::vector<std::string>* tried,
                                       std::string* from) {
  for (Source* src : search) {
    if (src == skip) continue;
    auto u = src->universe();
    if (!u.is_ok()) {
      tried->push_back(src->url() + ": " + u.status().to_string());
      continue;
    }
    auto it = std::find_if(u->begin(), u->end(),
                           [&](const CookbookRef& r) { return r.name == c.name && r.version == c.version; });
    if (it == u->end()) {
      tried->push_back(src->url() + ": no " + c.name + " " + c.version.to_string());
      continue;
    }
    auto fetched = src->fetch(*it);
    if (!fetched.is_ok()) {
      tried->push_back(src->url() + ": " + fetched.status().to_string());
      continue;
    }
    auto digest = content_digest(*fetched);
    if (!digest.is_ok() || *digest != c.sha256) {
      tried->push_back(src->url() + ": its " + c.name + " " + c.version.to_string() + " has other content (sha256 " +
                       (digest.is_ok() ? *digest : digest.status().to_string()) + ")");
      continue;
    }
    log::info("cookbook " + c.name + " " + c.version.to_string() + " from " + src->url() + " (the lockfile names " +
              c.source + "; same content)");
    *from = src->url();
    return *fetched;
  }
  return "";
}

CookbookSet SourceSet::fetch_locked(const std::vector<PinnedCookbook>& pins) {
  CookbookSet set;
  Cache cache(ctx_.cache_dir, ctx_.confine_root);
  // The search list: the sources configured now (policy, --source, client config), before the
  // lockfile's own URLs are opened.
  std::vector<Source*> search;
  for (auto& s : sources_) search.push_back(s.get());
  std::map<std::string, Source*> by_url;
  std::map<std::string, std::string> unreachable;
  for (const auto& c : pins) {
    if (by_url.count(c.source)) continue;
    std::vector<Status> open_errors;
    Source* src = source_for(c.source, &open_errors);
    by_url[c.source] = src;
    bool untrusted = false;
    if (!src) {
      unreachable[c.source] = open_errors.front().to_string();
    } else if (auto u = src->universe(); !u.is_ok()) {
      unreachable[c.source] = u.status().to_string();
      untrusted = u.status().code() == Code::kUntrusted;
    }
    // A source that answers with something that fails verification is not "unreachable": say
    // so, loudly, so nobody debugs the network while someone tampers with the mirror.
    if (untrusted)
      log::warn("source " + c.source + " FAILED VERIFICATION (" + unreachable[c.source] +
                "); nothing from it is used; cookbooks come from the cache, each checked against the lockfile");
    else if (unreachable.count(c.source))
      log::warn("source " + c.source + " is unreachable (" + unreachable[c.source] + "); using the cache");
  }
  for (const auto& c : pins) {
    CookbookRef ref{c.name, c.version, c.depends, c.source, c.sha256, c.commit};
    std::string id = "cookbook " + c.name + " " + c.version.to_string();
    std::string path, from;
    if (auto p = cache.path_for(c.sha256); p.is_ok()) {
      path = *p;
      from = "cache";
    } else {
      Source* src = by_url[c.source];
      std::string why;
      if (src) {
        auto fetched = src->fetch(ref);
        if (fetched.is_ok()) {
          path = *fetched;
          from = src->url();
        } else {
          why = unreachable.count(c.source) ? unreachable[c.source] : fetched.status().to_string();
        }
      } else {
        why = "cannot be opened: " + unreachable[c.source];
      }
      if (path.empty()) {
        std::vector<std::string> tried;
        path = fetch_elsewhere(search, src, c, &tried, &from);
        if (path.empty()) {
          std::string more = tried.empty() ? "" : "; other sources: " + join(tried, "; ");
          set.errors.push_back(Status::not_found(id + " (sha256 " + c.sha256 + ") is not in the cache " + cache.root() +
                                                 " and its source " + c.source + " cannot provide it: " + why + more));
          continue;
        }
      }
    }
    auto digest = content_digest(path);
    if (!digest.is_ok()) {
      set.errors.push_back(digest.status().with_context(id));
      continue;
    }
    if (*digest != c.sha256) {
      set.errors.push_back(Status::untrusted(id + " in " + path + ": content sha256 " + *digest +
                                             " does not match the lockfile's " + c.sha256 + "; refusing it"));
      continue;
    }
    set.cookbooks.push_back({ref, path, from, *digest});
  }
  return set;
}

std::vector<std::string> SourceSet::fetch_notes() const {
  std::vector<std::string> notes;
  for (const auto& s : sources_)
    if (const GitFetchStats* st = git_fetch_stats(*s))
      notes.push_back(s->url() + ": " + (st->fetched ? "fetched " + std::to_string(st->received_objects) +
                                                           " objects (" + std::to_string(st->received_bytes) + " bytes)"
                                                     : std::string("not fetched (unreachable; cached clone used)")));
  return notes;
}

}  // namespace roux::sources
