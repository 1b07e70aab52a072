// remote_file: a file downloaded over HTTP(S) (or file://) through the libcurl client of the
// cookbook sources (TLS verified, bounded time and size), verified against a required
// `checksum: sha256:HEX` before a byte is written, and replaced atomically through the host door.
// Never downloads when the file on the host already has that digest. With the explicit opt-out
// `checksum: none` (warned at compile time) the download is conditional: the validators of the
// last download (ETag, Last-Modified) are kept in STATE/remote_file/<sha256 of the path>, and a
// server answering 304 costs no transfer.
//
// Plan runs the same code: it downloads (into memory; nothing is written on the host) to know
// the new content, so a failing or mismatching download fails the plan as it would the converge.
#include "resources/remote_file.h"

#include <cctype>

#include "libs/diff.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/ownership.h"
#include "sources/http.h"

namespace roux::resources {
namespace {

std::string digest_text(const std::string& hex, uint64_t size) {
  return "sha256:" + hex.substr(0, 12) + " (" + std::to_string(size) + " bytes)";
}

class RemoteFileResource : public engine::Resource {
 public:
  explicit RemoteFileResource(std::string path) : Resource(path), path(std::move(path)) {}
  std::string_view type() const override { return "remote_file"; }
  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out = engine::ancestor_dir_ids(path);
    ownership.add_implicit_deps(out);
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    ROUX_TRY(ctx.remove_stale_temp(path));
    if (absent) {
      if (!live.exists()) return Status::ok();
      if (live.type == host::FileType::kDirectory) return Status::conflict(path + " is a directory; remote_file will not remove it");
      return ctx.change({"ensure", host::file_type_name(live.type), "absent"}, [&](host::Host& h) {
        ROUX_TRY(h.remove(path));
        return remove_validators(h, ctx.state_dir());
      });
    }
    if (live.exists() && live.type != host::FileType::kFile && live.type != host::FileType::kSymlink)
      return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file; refusing to replace it");
    std::string have_sha;
    if (live.type == host::FileType::kFile) {
      ROUX_ASSIGN_OR_RETURN(have_sha, ctx.host().file_sha256(path));
      if (!sha256.empty() && have_sha == sha256) return ownership.converge(ctx, path, live);
    }
    // Download: conditional when the file is the one the kept validators describe.
    sources::FetchRequest req;
    req.url = url;
    req.max_bytes = max_bytes;
    req.retries = 2;
    ROUX_ASSIGN_OR_RETURN(Validators kept, read_validators(ctx.host(), ctx.state_dir()));
    if (!have_sha.empty() && kept.url == url && kept.sha256 == have_sha) {
      req.etag = kept.etag;
      req.last_modified = kept.last_modified;
    }
    ROUX_ASSIGN_OR_RETURN(sources::FetchResponse resp, fetch_verified(req, sha256));
    if (resp.status == 304) return ownership.converge(ctx, path, live);
    const std::string got = sha256_hex(resp.body);
    Validators now{url, got, one_line_or_empty(resp.etag), one_line_or_empty(resp.last_modified)};
    if (got == have_sha) return ownership.converge(ctx, path, live);
    if (live.type == host::FileType::kFile) {
      // Replace the content, keeping the live mode and owner (their own helpers change them).
      ROUX_TRY(ctx.change({"content", digest_text(have_sha, live.size), digest_text(got, resp.body.size())},
                          [&](host::Host& h) {
                            ROUX_TRY(h.write_file(path, resp.body, live.mode & 07777, live.uid, live.gid));
                            return write_validators(h, ctx.state_dir(), now);
                          }));
      return ownership.converge(ctx, path, live);
    }
    ROUX_TRY(check_parent(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, ownership.resolve_uid(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, ownership.resolve_gid(ctx));
    uint32_t m = ownership.mode.value_or(0644);
    std::string before = live.type == host::FileType::kSymlink ? "link" : "absent";
    ROUX_TRY(ctx.change({"ensure", before, digest_text(got, resp.body.size())}, [&](host::Host& h) {
      ROUX_TRY(h.write_file(path, resp.body, m, uid, gid));
      return write_validators(h, ctx.state_dir(), now);
    }));
    ownership.record_creation(ctx, 0644);
    return Status::ok();
  }

  std::string path, url;
  std::string sha256;          // "" = checksum: none
  bool absent = false;
  size_t max_bytes = size_t(64) << 20;
  Ownership ownership;

 private:
  /// What the last download of this path was, for a conditional request.
  struct Validators {
    std::string url, sha256, etag, last_modified;
  };

  static std::string one_line_or_empty(const std::string& s) { return has_control_char(s) ? "" : s; }

  std::string validators_path(const std::string& state_dir) const {
    return state_dir + "/remote_file/" + sha256_hex(path);
  }

  Result<Validators> read_validators(const host::Host& host, const std::string& state_dir) const {
    Validators v;
    std::string p = validators_path(state_dir);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(p));
    if (fi.type != host::FileType::kFile || fi.size > 16384) return v;
    ROUX_ASSIGN_OR_RETURN(std::string text, host.read_file(p, 16384));
    auto lines = split_lines(text);
    if (lines.size() < 4) return v;  // unreadable: an unconditional download, then rewritten
    return Validators{lines[0], lines[1], lines[2], lines[3]};
  }

  Status write_validators(host::Host& h, const std::string& state_dir, const Validators& v) const {
    if (!sha256.empty()) return Status::ok();  // the checksum decides; nothing to keep
    ROUX_TRY(host::make_dirs(h, state_dir + "/remote_file", 0700));
    return h.write_file(validators_path(state_dir), v.url + "\n" + v.sha256 + "\n" + v.etag + "\n" + v.last_modified + "\n",
                        0600, std::nullopt, std::nullopt);
  }

  Status remove_validators(host::Host& h, const std::string& state_dir) const {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(validators_path(state_dir)));
    return fi.exists() ? h.remove(validators_path(state_dir)) : Status::ok();
  }

  Status check_parent(engine::ConvergeContext& ctx) const {
    std::string parent = host::parent_path(path);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo p, ctx.host().lstat(parent));
    if (p.type == host::FileType::kDirectory || p.type == host::FileType::kSymlink) return Status::ok();
    if (p.exists()) return Status::conflict("parent " + parent + " is a " + host::file_type_name(p.type) + ", not a folder");
    return Status::not_found("parent folder " + parent + " does not exist (declare it with a directory resource)");
  }
};

}  // namespace

Result<sources::FetchResponse> fetch_verified(const sources::FetchRequest& req, const std::string& sha256) {
  ROUX_ASSIGN_OR_RETURN(sources::FetchResponse resp, sources::fetch_url(req));
  if (resp.status == 304 || sha256.empty()) return resp;
  const std::string got = sha256_hex(resp.body);
  if (got != sha256)
    return Status::conflict(req.url + ": downloaded content has sha256 " + got + ", expected " + sha256 +
                            " (nothing was written)");
  return resp;
}

std::optional<std::string> parse_sha256_checksum(std::string_view text, std::string* why) {
  if (text == "none") return std::string();
  if (text.substr(0, 7) != "sha256:") {
    *why = "expected sha256:HEX (64 hex digits) or none";
    return std::nullopt;
  }
  std::string hex;
  for (char c : text.substr(7)) hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    *why = "expected sha256: followed by 64 hex digits";
    return std::nullopt;
  }
  return hex;
}

engine::ResourceType remote_file_type() {
  return {"remote_file", "a file downloaded over HTTP(S), verified against its sha256, replaced atomically",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto path = host::normalize_path(name);
            if (!path.is_ok() || *path == "/") {
              props.error(path.is_ok() ? "path must not be /" : path.status().message());
              return nullptr;
            }
            auto r = std::make_unique<RemoteFileResource>(*path);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->ownership.read(props);
            auto source = props.string("source");
            auto checksum = props.string("checksum");
            if (auto mb = props.integer("max_bytes", 1, int64_t(1) << 30)) r->max_bytes = static_cast<size_t>(*mb);
            if (r->absent) return r;
            if (!source) props.error("source", "is required (an https://, http:// or file:// URL)");
            else if (!starts_with(*source, "https://") && !starts_with(*source, "http://") && !starts_with(*source, "file://"))
              props.error("source", "expected an https://, http:// or file:// URL");
            else if (has_control_char(*source) || source->find(' ') != std::string::npos)
              props.error("source", "must not contain spaces or control characters");
            else r->url = *source;
            if (!checksum) {
              props.error("checksum", "is required: sha256:HEX (the file's SHA-256), or none to accept whatever the server sends");
            } else {
              std::string why;
              auto hex = parse_sha256_checksum(*checksum, &why);
              if (!hex) props.error("checksum", why);
              else r->sha256 = *hex;
              if (hex && hex->empty())
                log::warn(props.where("checksum").to_string() + ": remote_file[" + *path +
                          "]: checksum: none: the download is not verified (anyone who controls the server or the "
                          "network path chooses the content)");
            }
            return r;
          }};
}

}  // namespace roux::resources
