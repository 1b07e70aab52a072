// apt_repository: a third-party apt repository as a deb822 file,
// /etc/apt/sources.list.d/NAME.sources, whose `Signed-By:` names the repository's key, which the
// resource installs too: /etc/apt/keyrings/NAME.asc (armored) or NAME.gpg (binary), 0644
// root:root. The key comes from the cookbook's files/ (read at compile time) or from a URL with
// its required SHA-256 (downloaded only when no installed key has that digest). Both files are
// owned whole by roux and written atomically through the host door.
//
// A change here makes the next package transaction that needs candidates refresh apt's lists
// first (package.cc: one `apt-get update` per run, recorded as the `apt_update` change).
#include "resources/apt_repository.h"

#include <cctype>

#include "libs/diff.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/package_provider.h"
#include "sources/http.h"

namespace roux::resources {
namespace {

constexpr const char* kSourcesDir = "/etc/apt/sources.list.d";
constexpr const char* kKeyringDir = "/etc/apt/keyrings";
constexpr size_t kMaxKeyBytes = 1 << 20;

std::string short_digest(std::string_view data) {
  return "sha256:" + sha256_hex(data).substr(0, 12) + " (" + std::to_string(data.size()) + " bytes)";
}

class AptRepositoryResource : public engine::Resource {
 public:
  explicit AptRepositoryResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "apt_repository"; }

  bool absent = false;
  std::vector<std::string> types = {"deb"}, uris, components, architectures;
  std::string suite;
  std::optional<std::string> key;        // from the cookbook
  std::string key_url, key_sha256;       // or downloaded

  std::string sources_path() const { return std::string(kSourcesDir) + "/" + name() + ".sources"; }
  std::string key_path(KeyFormat f) const {
    return std::string(kKeyringDir) + "/" + name() + (f == KeyFormat::kArmored ? ".asc" : ".gpg");
  }

  Status converge(engine::ConvergeContext& ctx) override {
    if (absent) {
      ROUX_TRY(remove_file(ctx, sources_path(), "sources"));
      ROUX_TRY(remove_file(ctx, key_path(KeyFormat::kArmored), "key"));
      return remove_file(ctx, key_path(KeyFormat::kBinary), "key");
    }
    ROUX_ASSIGN_OR_RETURN(std::string k, key_content(ctx.host()));
    KeyFormat f = key_format(k);
    if (f == KeyFormat::kUnknown)
      return Status::invalid_input(key_url + ": not an OpenPGP public key (neither armored nor binary)");
    const std::string kp = key_path(f);
    // The key in the other format (the repository changed its key's format) goes.
    ROUX_TRY(remove_file(ctx, key_path(f == KeyFormat::kArmored ? KeyFormat::kBinary : KeyFormat::kArmored), "key"));
    ROUX_TRY(own_file(ctx, kKeyringDir, kp, k, "key", false));
    return own_file(ctx, kSourcesDir, sources_path(), deb822_sources(kp), "sources", true);
  }

  std::string deb822_sources(const std::string& key_file) const {
    std::string out = "# Managed by roux: apt_repository[" + name() + "]. Local changes will be overwritten.\n";
    out += "Types: " + join(types, " ") + "\n";
    out += "URIs: " + join(uris, " ") + "\n";
    out += "Suites: " + suite + "\n";
    if (!components.empty()) out += "Components: " + join(components, " ") + "\n";
    if (!architectures.empty()) out += "Architectures: " + join(architectures, " ") + "\n";
    out += "Signed-By: " + key_file + "\n";
    return out;
  }

 private:
  /// The key's bytes: the cookbook's, else an installed key with the wanted digest, else the
  /// download (checked against key_sha256 before it is used).
  Result<std::string> key_content(const host::Host& host) const {
    if (key) return *key;
    for (KeyFormat f : {KeyFormat::kArmored, KeyFormat::kBinary}) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(key_path(f)));
      if (fi.type != host::FileType::kFile || fi.size > kMaxKeyBytes) continue;
      ROUX_ASSIGN_OR_RETURN(std::string have, host.read_file(key_path(f), kMaxKeyBytes));
      if (sha256_hex(have) == key_sha256) return have;
    }
    sources::FetchRequest req;
    req.url = key_url;
    req.max_bytes = kMaxKeyBytes;
    req.retries = 2;
    ROUX_ASSIGN_OR_RETURN(sources::FetchResponse resp, sources::fetch_url(req));
    std::string got = sha256_hex(resp.body);
    if (got != key_sha256)
      return Status::conflict("key_url " + key_url + ": sha256 is " + got + ", expected " + key_sha256 +
                              " (the key was not installed)");
    return std::move(resp.body);
  }

  /// `path` holds exactly `want`, 0644 root:root, in `dir` (made 0755 when missing).
  Status own_file(engine::ConvergeContext& ctx, const std::string& dir, const std::string& path, const std::string& want,
                  const std::string& property, bool show_diff) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file");
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, dir, 0755));
      Status s = h.write_file(path, want, 0644, 0, 0);
      if (s.is_ok()) note_package_sources_changed();
      return s;
    };
    if (!live.exists())
      return ctx.change({property, "absent", show_diff ? "present" : short_digest(want),
                         show_diff ? unified_diff("", want, path) : ""},
                        write);
    ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(path, kMaxKeyBytes));
    if (have != want)
      return ctx.change({property, short_digest(have), short_digest(want), show_diff ? unified_diff(have, want, path) : ""},
                        write);
    if ((live.mode & 07777) != 0644)
      ROUX_TRY(ctx.change({property + " mode", format_mode(live.mode), "0644", "", true},
                          [&](host::Host& h) { return h.chmod(path, 0644); }));
    if (live.uid != 0 || live.gid != 0)
      ROUX_TRY(ctx.change({property + " owner", std::to_string(live.uid) + ":" + std::to_string(live.gid), "0:0", "", true},
                          [&](host::Host& h) { return h.chown(path, 0, 0); }));
    return Status::ok();
  }

  Status remove_file(engine::ConvergeContext& ctx, const std::string& path, const std::string& property) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    if (!live.exists()) return Status::ok();
    if (live.type == host::FileType::kDirectory)
      return Status::conflict(path + " is a directory; apt_repository will not remove it");
    return ctx.change({property, path, "absent"}, [&](host::Host& h) {
      Status s = h.remove(path);
      if (s.is_ok()) note_package_sources_changed();
      return s;
    });
  }
};

/// A deb822 field value: one word, printable, no comment or option syntax.
bool is_word(std::string_view s) {
  if (s.empty() || s.size() > 512 || has_control_char(s)) return false;
  for (char c : s)
    if (c == ' ' || c == '#' || c == '[' || c == ']' || c == '"') return false;
  return true;
}

/// A list property (a scalar is a list of one) whose every item is a word.
std::vector<std::string> words(engine::Props& props, std::string_view key, const char* what) {
  std::vector<std::string> out;
  auto list = props.string_list(key);
  if (!list) return out;
  for (const auto& w : *list) {
    if (!is_word(w)) props.error(key, "\"" + one_line(w) + "\" is not " + what + " (one word, no spaces, # or brackets)");
    else out.push_back(w);
  }
  return out;
}

}  // namespace

KeyFormat key_format(std::string_view data) {
  std::string_view t = trim(data);
  if (starts_with(t, "-----BEGIN PGP PUBLIC KEY BLOCK-----")) return KeyFormat::kArmored;
  if (data.empty()) return KeyFormat::kUnknown;
  // A binary key starts with a public-key packet (tag 6): old format 0x98/0x99/0x9a, new 0xc6.
  unsigned char c = static_cast<unsigned char>(data[0]);
  if (c == 0x98 || c == 0x99 || c == 0x9a || c == 0xc6) return KeyFormat::kBinary;
  return KeyFormat::kUnknown;
}

bool is_valid_apt_source_name(std::string_view n) {
  // apt reads only files of sources.list.d whose names use these characters (else it ignores
  // them with a notice).
  return !n.empty() && n.size() <= 100 && n[0] != '.' && n[0] != '-' &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string_view::npos;
}

engine::ResourceType apt_repository_type() {
  return {"apt_repository",
          "an apt repository: a deb822 .sources file in /etc/apt/sources.list.d with Signed-By its own key "
          "(from the cookbook or a URL with its sha256)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext& build)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_apt_source_name(name))
              props.error("invalid apt_repository name \"" + one_line(name) +
                          "\": use letters, digits, _, . and - (apt ignores other file names in "
                          "sources.list.d)");
            auto r = std::make_unique<AptRepositoryResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->uris = words(props, "uri", "a URI");
            for (const auto& u : r->uris) {
              size_t colon = u.find(':');
              if (colon == std::string::npos || colon == 0 ||
                  u.substr(0, colon).find_first_not_of("abcdefghijklmnopqrstuvwxyz+") != std::string::npos)
                props.error("uri", "\"" + one_line(u) + "\" is not a URI (http://..., https://..., file:/...)");
            }
            auto suite = props.string("suite");
            if (suite && !is_word(*suite)) props.error("suite", "\"" + one_line(*suite) + "\" is not a suite (one word)");
            else if (suite) r->suite = *suite;
            r->components = words(props, "components", "a component");
            if (props.has("types")) {
              r->types = words(props, "types", "a type");
              for (const auto& t : r->types)
                if (t != "deb" && t != "deb-src") props.error("types", "\"" + one_line(t) + "\" is not deb or deb-src");
            }
            r->architectures = words(props, "architectures", "an architecture");
            auto key = props.string("key");
            auto key_url = props.string("key_url");
            auto key_sha = props.string("key_sha256");
            if (r->absent) return r;
            if (r->uris.empty() && !props.has("uri")) props.error("uri", "is required");
            if (!suite) props.error("suite", "is required (a distribution such as bookworm, or ./ for a flat repository)");
            bool flat = !r->suite.empty() && r->suite.back() == '/';
            if (flat && !r->components.empty())
              props.error("components", "must be empty when suite \"" + r->suite + "\" ends with / (a flat repository)");
            if (!flat && suite && r->components.empty() && !props.has("components"))
              props.error("components", "is required (main, ...) unless suite ends with / (a flat repository)");
            if (key && key_url) props.error("key_url", "give key or key_url, not both");
            if (!key && !key_url) props.error("key", "is required: the repository's signing key, as key (a file under the cookbook's files/) or key_url with key_sha256");
            if (key_url && !key_sha) props.error("key_sha256", "is required with key_url (the SHA-256 of the key file, 64 hex digits)");
            if (key_sha && !key_url) props.error("key_sha256", "goes with key_url");
            if (key_sha) {
              std::string lower;
              for (char c : *key_sha) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              if (starts_with(lower, "sha256:")) lower = lower.substr(7);
              if (lower.size() != 64 || lower.find_first_not_of("0123456789abcdef") != std::string::npos)
                props.error("key_sha256", "expected 64 hex digits");
              else r->key_sha256 = lower;
            }
            if (key_url) {
              if (!starts_with(*key_url, "https://") && !starts_with(*key_url, "http://") && !starts_with(*key_url, "file://"))
                props.error("key_url", "expected an https://, http:// or file:// URL");
              else r->key_url = *key_url;
            }
            if (key) {
              auto data = build.cookbook_file(*key);
              if (!data.is_ok()) {
                props.error("key", data.status().message());
              } else if (data->size() > kMaxKeyBytes) {
                props.error("key", "files/" + *key + " is larger than 1 MiB: not a key");
              } else if (key_format(*data) == KeyFormat::kUnknown) {
                props.error("key", "files/" + *key + " is not an OpenPGP public key (neither armored \"-----BEGIN PGP "
                                   "PUBLIC KEY BLOCK-----\" nor binary)");
              } else {
                r->key = std::move(*data);
              }
            }
            return r;
          }};
}

}  // namespace roux::resources
