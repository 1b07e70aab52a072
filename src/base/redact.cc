#include "base/redact.h"

#include <openssl/evp.h>

#include <algorithm>
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

void add_needle(std::string s) {
  if (s.size() < 4) return;
  if (std::find(g_needles.begin(), g_needles.end(), s) != g_needles.end()) return;
  g_needles.push_back(std::move(s));
  std::sort(g_needles.begin(), g_needles.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

}  // namespace

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

bool contains_secret(std::string_view text) {
  std::lock_guard lock(g_mu);
  for (const auto& n : g_needles)
    if (text.find(n) != std::string_view::npos) return true;
  return false;
}

std::string redact(std::string_view text) {
  std::lock_guard lock(g_mu);
  std::string out(text);
  for (const auto& n : g_needles) {
    size_t pos = 0;
    while ((pos = out.find(n, pos)) != std::string::npos) {
      out.replace(pos, n.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

void clear() {
  std::lock_guard lock(g_mu);
  g_needles.clear();
}

}  // namespace roux::redact
