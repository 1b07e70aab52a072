#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/semver.h"
#include "base/status.h"
#include "sources/cookbook_set.h"
#include "sources/source.h"

namespace roux::compiler {

/// One cookbook pinned by a lockfile: name, version, content digest, and the source it came from.
using LockedCookbook = sources::PinnedCookbook;

/// policy.lock.json beside the policy (schemas/lockfile.schema.json). Plain data.
/// `policy_digest` is the SHA-256 of the policy's resolution inputs (run-list cookbooks, cookbook
/// constraints and sources, as canonical JSON): when the policy changes them, the lockfile no
/// longer matches and converge refuses it. Cookbooks are in resolution order (run-list roots
/// first), which is also the order their default attributes merge in.
struct Lockfile {
  std::string policy_name;
  std::string policy_digest;
  std::vector<LockedCookbook> cookbooks;
  const LockedCookbook* find(const std::string& name) const;
};

/// "DIR/policy.lock.json" for "DIR/policy.yaml" (any policy file name: its folder + policy.lock.json
/// for policy.yaml, else STEM.lock.json).
std::string lockfile_path(const std::string& policy_file);

/// Reads and checks a lockfile. kNotFound when the file does not exist; kInvalidInput
/// ("FILE: ...") when it is not a lockfile this version understands.
Result<Lockfile> read_lockfile(const std::string& path);
/// The checks of read_lockfile on text already read (`path` only names it in errors). Never
/// throws, whatever the text: every field's type is checked before it is read.
Result<Lockfile> parse_lockfile(const std::string& text, const std::string& path);

/// Canonical JSON (2-space indent, trailing newline): same lockfile, same bytes.
std::string lockfile_to_json(const Lockfile& lock);

/// Writes the lockfile atomically (temp file in the same folder, fsync, rename). Does not touch
/// the managed host (the lockfile lives with the policy).
Status write_lockfile(const std::string& path, const Lockfile& lock);

}  // namespace roux::compiler
