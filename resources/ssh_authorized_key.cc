// ssh_authorized_key: one public key in a user's ~/.ssh/authorized_keys. The home comes from the
// account database through the host door (so a user created earlier in the same plan has one).
// `.ssh` is made 0700 and the file 0600, both owned by the user and the user's primary group.
// The key is matched by type + base64 body: present replaces the first line holding it in place
// (new options or comment), drops later duplicates, or appends; absent drops every line holding
// it. Foreign lines (other keys, comments, blank lines, lines roux cannot parse) are kept byte for
// byte. The file is written atomically through the host door.
//
// A user owns their home, so they can plant a symlink there: `~/.ssh -> /root/.ssh` would make
// roux, running as root, write root's keys. A home, `.ssh` or `authorized_keys` that is a symlink
// is refused (observed before the plan, and looked at again inside the act just before the
// write), never followed.
#include "resources/ssh_authorized_key.h"

#include <openssl/evp.h>

#include <algorithm>

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/text_edit.h"

namespace roux::resources {

const std::vector<std::string>& known_ssh_key_types() {
  static const std::vector<std::string> kTypes = {
      "ssh-ed25519",
      "ssh-rsa",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "sk-ssh-ed25519@openssh.com",
      "sk-ecdsa-sha2-nistp256@openssh.com",
      "ssh-dss",
      "ssh-ed25519-cert-v01@openssh.com",
      "ssh-rsa-cert-v01@openssh.com",
      "ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "ecdsa-sha2-nistp384-cert-v01@openssh.com",
      "ecdsa-sha2-nistp521-cert-v01@openssh.com",
      "sk-ssh-ed25519-cert-v01@openssh.com",
      "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  };
  return kTypes;
}

bool is_known_ssh_key_type(std::string_view type) {
  const auto& t = known_ssh_key_types();
  return std::find(t.begin(), t.end(), type) != t.end();
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// The next blank-separated word from `pos`; the option field's quotes protect blanks inside.
std::string_view next_field(std::string_view line, size_t* pos, bool quoted) {
  while (*pos < line.size() && is_blank(line[*pos])) ++*pos;
  size_t start = *pos;
  bool in_quote = false;
  while (*pos < line.size() && (in_quote || !is_blank(line[*pos]))) {
    if (quoted && line[*pos] == '\\' && in_quote && *pos + 1 < line.size()) ++*pos;
    else if (quoted && line[*pos] == '"') in_quote = !in_quote;
    ++*pos;
  }
  return line.substr(start, *pos - start);
}

/// The longest key sshd reads (a 16384-bit RSA key is ~2.8 KB of base64; certificates are larger).
constexpr size_t kMaxKeyBody = 16384;

}  // namespace

std::optional<AuthorizedKeyLine> parse_authorized_key_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t pos = 0;
  std::string_view first = next_field(line, &pos, /*quoted=*/true);
  if (first.empty() || first.front() == '#') return std::nullopt;
  AuthorizedKeyLine out;
  if (!is_known_ssh_key_type(first)) {
    out.options = std::string(first);
    first = next_field(line, &pos, false);
    if (!is_known_ssh_key_type(first)) return std::nullopt;
  }
  out.type = std::string(first);
  std::string_view key = next_field(line, &pos, false);
  if (key.empty()) return std::nullopt;
  out.key = std::string(key);
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  out.comment = std::string(line.substr(pos));
  return out;
}

std::string check_ssh_key_body(std::string_view type, std::string_view key) {
  if (key.empty()) return "is empty";
  if (key.size() > kMaxKeyBody) return "is " + std::to_string(key.size()) + " bytes; at most " + std::to_string(kMaxKeyBody);
  if (key.size() % 4 != 0 ||
      key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != std::string_view::npos)
    return "is not base64";
  size_t pad = 0;
  while (pad < key.size() && key[key.size() - 1 - pad] == '=') ++pad;
  if (pad > 2 || key.substr(0, key.size() - pad).find('=') != std::string_view::npos) return "is not base64";
  std::string blob(key.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(blob.data()), reinterpret_cast<const unsigned char*>(key.data()),
                          static_cast<int>(key.size()));
  if (n < 0) return "is not base64";
  blob.resize(static_cast<size_t>(n) - pad);
  // RFC 4253 6.6: the blob starts with the key type as a string (4-byte big-endian length, bytes).
  if (blob.size() < 4) return "is too short to be an SSH public key";
  uint32_t len = (uint32_t(uint8_t(blob[0])) << 24) | (uint32_t(uint8_t(blob[1])) << 16) |
                 (uint32_t(uint8_t(blob[2])) << 8) | uint32_t(uint8_t(blob[3]));
  if (len > blob.size() - 4) return "is not an SSH public key (its type field is cut short)";
  std::string inner = blob.substr(4, len);
  if (inner != type)
    return "is a key of type \"" + one_line(inner) + "\", not \"" + std::string(type) + "\"";
  if (blob.size() == 4 + len) return "holds no key material after its type";
  return "";
}

std::string check_ssh_key_option(std::string_view option) {
  if (option.empty()) return "is empty";
  if (has_control_char(option)) return "must not hold control characters";
  size_t eq = option.find('=');
  std::string_view name = option.substr(0, eq);
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string_view::npos)
    return "must be NAME or NAME=\"VALUE\" (NAME of letters, digits and -)";
  if (eq == std::string_view::npos) return "";
  std::string_view value = option.substr(eq + 1);
  if (value.size() < 2 || value.front() != '"' || value.back() != '"')
    return "must be NAME or NAME=\"VALUE\" (the value in double quotes)";
  std::string_view inner = value.substr(1, value.size() - 2);
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\') {
      if (i + 1 == inner.size()) return "must not end its value with a backslash";
      ++i;
    } else if (inner[i] == '"') {
      return "must escape a double quote inside its value as \\\"";
    }
  }
  return "";
}

std::string format_authorized_key_line(const std::vector<std::string>& options, const std::string& type,
                                       const std::string& key, const std::string& comment) {
  std::string out = join(options, ",");
  if (!out.empty()) out += " ";
  out += type + " " + key;
  if (!comment.empty()) out += " " + comment;
  return out;
}

std::string edit_authorized_keys(std::string_view content, const std::string& type, const std::string& key,
                                 const std::string* line) {
  std::vector<TextLine> lines = split_text_lines(content);
  std::vector<TextLine> out;
  bool placed = false;
  for (auto& l : lines) {
    auto parsed = parse_authorized_key_line(l.text);
    if (!parsed || parsed->type != type || parsed->key != key) {
      out.push_back(std::move(l));
      continue;
    }
    if (!line || placed) continue;  // absent, or a later duplicate of the key
    l.text = *line;
    out.push_back(std::move(l));
    placed = true;
  }
  if (line && !placed) append_text_line(out, *line);
  return join_text_lines(out);
}

namespace {

/// Files larger than this are refused (edited in memory; real files hold a few keys).
constexpr size_t kMaxAuthorizedKeysBytes = 1 << 20;

class SshAuthorizedKeyResource : public engine::Resource {
 public:
  explicit SshAuthorizedKeyResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "ssh_authorized_key"; }
  std::vector<std::string> implicit_deps() const override {
    // Removing a key does not need its user declared first (the policy may remove both).
    if (absent) return {};
    return {"user[" + user + "]"};
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
    const host::PasswdEntry* pw = db->user(user);
    if (!pw) {
      if (absent) return Status::ok();
      return Status::not_found("user " + user + " does not exist (declare user[" + user + "] or create it first)");
    }
    const uid_t uid = pw->uid;
    const gid_t gid = pw->gid;
    ROUX_ASSIGN_OR_RETURN(std::string home, host::normalize_path(pw->home));
    if (home == "/") return Status::conflict("user " + user + " has / as home; refusing to manage /.ssh");
    const std::string dir = home + "/.ssh";
    const std::string file = dir + "/authorized_keys";

    ROUX_ASSIGN_OR_RETURN(host::FileInfo home_info, ctx.host().lstat(home));
    if (!home_info.exists()) {
      if (absent) return Status::ok();
      return Status::not_found("home " + home + " of user " + user + " does not exist");
    }
    ROUX_TRY(refuse_unless(home_info, host::FileType::kDirectory, "home " + home + " of user " + user));
    ROUX_ASSIGN_OR_RETURN(host::FileInfo dir_info, ctx.host().lstat(dir));
    if (dir_info.exists()) ROUX_TRY(refuse_unless(dir_info, host::FileType::kDirectory, dir));
    host::FileInfo file_info;
    if (dir_info.exists()) {
      ROUX_ASSIGN_OR_RETURN(file_info, ctx.host().lstat(file));
      if (file_info.exists()) ROUX_TRY(refuse_unless(file_info, host::FileType::kFile, file));
      ROUX_TRY(ctx.remove_stale_temp(file));
    }
    if (absent && !file_info.exists()) return Status::ok();

    // .ssh: made 0700 for the user, or put right (sshd's StrictModes refuses a writable one).
    if (!absent) {
      if (!dir_info.exists()) {
        ROUX_TRY(ctx.change({.property = "ssh_dir", .before = "absent", .after = dir + " 0700 " + owner_text(uid, gid),
                             .is_public = true},
                            [&](host::Host& h) {
                              ROUX_TRY(h.mkdir(dir, 0700));
                              ROUX_TRY(recheck(h, dir, host::FileType::kDirectory));
                              return h.chown(dir, uid, gid);
                            }));
      } else if ((dir_info.mode & 07777) != 0700 || dir_info.uid != uid || dir_info.gid != gid) {
        ROUX_TRY(ctx.change({.property = "ssh_dir",
                             .before = format_mode(dir_info.mode) + " " + owner_text(dir_info.uid, dir_info.gid),
                             .after = "0700 " + owner_text(uid, gid),
                             .is_public = true},
                            [&](host::Host& h) {
                              ROUX_TRY(recheck(h, dir, host::FileType::kDirectory));
                              ROUX_TRY(h.chown(dir, uid, gid));
                              return h.chmod(dir, 0700);
                            }));
      }
    }

    std::string have;
    if (file_info.exists()) {
      if (file_info.size > kMaxAuthorizedKeysBytes)
        return Status::invalid_input(file + " is " + std::to_string(file_info.size) + " bytes; at most 1 MiB is edited");
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(file, kMaxAuthorizedKeysBytes));
    }
    const std::string line = format_authorized_key_line(options, key_type, key, comment);
    const std::string want = edit_authorized_keys(have, key_type, key, absent ? nullptr : &line);
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(recheck(h, dir, host::FileType::kDirectory));
      return h.write_file(file, want, 0600, uid, gid);
    };
    if (want != have) {
      bool had = false;
      for (const auto& l : split_text_lines(have)) {
        auto parsed = parse_authorized_key_line(l.text);
        had = had || (parsed && parsed->type == key_type && parsed->key == key);
      }
      // "differs": the key is there with other options or comment, or more than once.
      std::string before = !had ? "absent" : absent ? "present" : "differs";
      std::string after = absent ? "absent" : "present";
      return ctx.change({.property = "key", .before = before, .after = after, .diff = unified_diff(have, want, file),
                         .is_public = true},
                        write);
    }
    if (file_info.exists() && ((file_info.mode & 07777) != 0600 || file_info.uid != uid || file_info.gid != gid))
      return ctx.change({.property = "file mode",
                         .before = format_mode(file_info.mode) + " " + owner_text(file_info.uid, file_info.gid),
                         .after = "0600 " + owner_text(uid, gid),
                         .is_public = true},
                        write);
    return Status::ok();
  }

  std::string user, key_type, key, comment;
  std::vector<std::string> options;
  bool absent = false;

 private:
  static std::string owner_text(uid_t uid, gid_t gid) { return std::to_string(uid) + ":" + std::to_string(gid); }

  /// A conflict unless `info` is of type `want`: a symlink is named as such and never followed.
  static Status refuse_unless(const host::FileInfo& info, host::FileType want, const std::string& what) {
    if (info.type == want) return Status::ok();
    if (info.type == host::FileType::kSymlink)
      return Status::conflict(what + " is a symlink; refusing to follow it (a user could point it anywhere)");
    return Status::conflict(what + " is a " + host::file_type_name(info.type) + ", not a " + host::file_type_name(want));
  }
  /// Looks again just before a write: the user may have swapped the folder for a link meanwhile.
  static Status recheck(const host::Host& h, const std::string& path, host::FileType want) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo now, h.lstat(path));
    return refuse_unless(now, want, path);
  }
};

}  // namespace

engine::ResourceType ssh_authorized_key_type() {
  return {"ssh_authorized_key", "one public key in a user's ~/.ssh/authorized_keys (other lines kept)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<SshAuthorizedKeyResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->user = props.required_string("user");
            if (props.has("user") &&
                (r->user.empty() || r->user.size() > 32 || r->user.front() == '-' ||
                 r->user.find_first_of(":/\n\r\t ") != std::string::npos || has_control_char(r->user)))
              props.error("user", "is not a valid user name");
            auto type = props.string("type");
            if (!type) props.error("type", "is required (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)");
            else if (!is_known_ssh_key_type(*type))
              props.error("type", "unknown key type \"" + one_line(*type) + "\"; known: " + join(known_ssh_key_types(), ", "));
            else r->key_type = *type;
            auto key = props.string("key");
            if (!key) props.error("key", "is required (the base64 body of the public key)");
            else if (!r->key_type.empty()) {
              std::string why = check_ssh_key_body(r->key_type, *key);
              if (!why.empty()) props.error("key", why);
              else r->key = *key;
            }
            r->comment = props.string("comment").value_or(name);
            if (has_control_char(r->comment) || r->comment.size() > 1024) {
              if (props.has("comment")) props.error("comment", "must be one line of at most 1024 bytes");
              else props.error("the name (the default comment) must be one line of at most 1024 bytes");
            }
            if (auto opts = props.string_list("options")) {
              for (const auto& o : *opts) {
                std::string why = check_ssh_key_option(o);
                if (!why.empty()) props.error("options", "\"" + one_line(o) + "\": " + why);
              }
              r->options = *opts;
            }
            return r;
          }};
}

}  // namespace roux::resources
