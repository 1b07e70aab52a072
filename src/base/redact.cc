#include "base/redact.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <set>
#include <vector>

namespace roux::redact {
namespace {

std::mutex g_mu;
std::vector<std::string> g_needles;  // longest first, so a longer match wins

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void add_one(std::string s) {
  if (s.size() < 4) return;
  if (std::find(g_needles.begin(), g_needles.end(), s) != g_needles.end()) return;
  g_needles.push_back(std::move(s));
}

/// `s` and every escaped form in which roux (or a tool whose output it keeps) may print it: a
/// JSON string (nlohmann's escaping; twice, for a JSON text kept inside a JSON string), a
/// one_line() display, and shell quoting (single and double quotes).
void add_needle(const std::string& s) {
  add_one(s);
  std::string json = escape_json(s);
  add_one(json);
  add_one(escape_json(json));
  add_one(escape_one_line(s));
  add_one(escape_shell_single(s));
  add_one(escape_shell_double(s));
  std::sort(g_needles.begin(), g_needles.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

}  // namespace

std::string escape_json(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string escape_one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

std::string escape_shell_single(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out;
}

std::string escape_shell_double(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
    out += c;
  }
  return out;
}

void add_secret(std::string_view plaintext) {
  if (plaintext.size() < 4) return;
  std::lock_guard lock(g_mu);
  add_needle(std::string(plaintext));
  // Each line of a multi-line secret on its own (a diff shows lines).
  size_t start = 0;
  while (start < plaintext.size()) {
    size_t nl = plaintext.find('\n', start);
    std::string_view line = plaintext.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (line.size() >= 6) add_needle(std::string(line));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  // Base64 of a text holding the secret at any offset: encode behind 0, 1 or 2 filler bytes and
  // keep only the characters that depend on the secret's bytes alone.
  for (size_t k = 0; k < 3; ++k) {
    std::string enc = base64(std::string(k, '\0') + std::string(plaintext));
    size_t total = k + plaintext.size();
    size_t full_groups = total / 3;                 // groups with no padding
    size_t head = k == 0 ? 0 : k == 1 ? 2 : 3;      // chars mixing filler bits
    size_t stable_end = full_groups * 4;            // chars of the last partial group depend on what follows
    if (stable_end > head + 5) add_needle(enc.substr(head, stable_end - head));
  }
}

Stream::Stream(Sink out) : out_(std::move(out)) {
  std::lock_guard lock(g_mu);
  needles_ = g_needles;
  held_.resize(needles_.size());
}

Status Stream::feed(size_t stage, std::string_view piece) {
  if (piece.empty()) return Status::ok();
  if (stage == needles_.size()) return out_(piece);
  const std::string& n = needles_[stage];
  std::string buf = std::move(held_[stage]);
  held_[stage].clear();
  buf.append(piece);
  // As redact_owned: left to right, the search going on after each mask.
  std::string done;
  size_t pos = 0;
  for (size_t m; (m = buf.find(n, pos)) != std::string::npos; pos = m + n.size()) {
    done.append(buf, pos, m - pos);
    done.append(kMask);
  }
  // Past the last match, the last size-1 bytes may begin a secret that the next piece ends.
  size_t keep = std::min(buf.size() - pos, n.size() - 1);
  size_t end = buf.size() - keep;
  held_[stage] = buf.substr(end);
  if (done.empty()) return feed(stage + 1, std::string_view(buf).substr(pos, end - pos));
  done.append(buf, pos, end - pos);
  return feed(stage + 1, done);
}

Status Stream::finish() {
  // Each stage's held tail is too short to hold its secret: it goes on, in order, to the stages
  // after it (which may still find theirs in it), then theirs.
  for (size_t k = 0; k < needles_.size(); ++k) {
    std::string rest = std::move(held_[k]);
    held_[k].clear();
    ROUX_TRY(feed(k + 1, rest));
  }
  return Status::ok();
}

bool contains_secret(std::string_view text) {
  std::lock_guard lock(g_mu);
  for (const auto& n : g_needles)
    if (text.find(n) != std::string_view::npos) return true;
  return false;
}

std::string redact(std::string_view text) { return redact_owned(std::string(text)); }

std::string redact_owned(std::string out) {
  std::lock_guard lock(g_mu);
  if (g_needles.empty()) return out;
  for (const auto& n : g_needles) {
    size_t pos = 0;
    while ((pos = out.find(n, pos)) != std::string::npos) {
      out.replace(pos, n.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

namespace {

struct Authority {
  size_t start = std::string_view::npos;  // just after "://"
  size_t end = 0;                         // the first '/', '?' or '#' after start, or size
  size_t at = std::string_view::npos;     // the last '@' inside [start, end)
  bool credentials = false;               // the userinfo holds a secret (see below)
};

Authority authority(std::string_view url) {
  Authority a;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return a;
  a.start = sep + 3;
  a.end = url.find_first_of("/?#", a.start);
  if (a.end == std::string_view::npos) a.end = url.size();
  size_t at = url.substr(a.start, a.end - a.start).rfind('@');
  if (at == std::string_view::npos) return a;
  a.at = a.start + at;
  // "user:password@" always; a bare "token@" over http(s) (a user alone would be sent as one,
  // GitHub-style); but "git@" of an ssh URL is just the login name, kept as written.
  std::string_view scheme = url.substr(0, sep);
  bool http = scheme.size() >= 4 && (scheme.substr(scheme.size() - 4) == "http" ||
                                     (scheme.size() >= 5 && scheme.substr(scheme.size() - 5) == "https"));
  a.credentials = url.substr(a.start, a.at - a.start).find(':') != std::string_view::npos || http;
  return a;
}

}  // namespace

std::string strip_url_credentials(std::string_view url) {
  Authority a = authority(url);
  if (!a.credentials) return std::string(url);
  return std::string(url.substr(0, a.start)) + std::string(url.substr(a.at + 1));
}

std::string url_for_display(std::string_view url) {
  Authority a = authority(url);
  if (a.start == std::string_view::npos) return "(url)";
  size_t host = a.at == std::string_view::npos ? a.start : a.at + 1;
  std::string out = std::string(url.substr(0, a.start)) + std::string(url.substr(host, a.end - host));
  if (a.end < url.size()) out += "/...";
  return out;
}

std::string url_password(std::string_view url) {
  Authority a = authority(url);
  if (!a.credentials) return "";
  std::string_view userinfo = url.substr(a.start, a.at - a.start);
  size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string(userinfo) : std::string(userinfo.substr(colon + 1));
}

bool has_url_credentials(std::string_view text) {
  auto scheme_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  };
  for (size_t sep = text.find("://"); sep != std::string_view::npos; sep = text.find("://", sep + 3)) {
    size_t begin = sep;
    while (begin > 0 && scheme_char(text[begin - 1])) --begin;
    size_t end = text.find_first_of(" \t\r\n\"'<>[]{},`", sep + 3);
    if (end == std::string_view::npos) end = text.size();
    if (begin < sep && authority(text.substr(begin, end - begin)).credentials) return true;
  }
  return false;
}

void clear() {
  std::lock_guard lock(g_mu);
  g_needles.clear();
}

}  // namespace roux::redact
