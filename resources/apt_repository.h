#pragma once
// apt_repository (apt_repository.cc): pure helpers, exposed for unit tests.
#include <string_view>

namespace roux::resources {

enum class KeyFormat { kUnknown, kArmored, kBinary };
/// An OpenPGP public key's encoding: armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----", installed
/// as NAME.asc) or binary (a public-key packet first, installed as NAME.gpg).
KeyFormat key_format(std::string_view data);
/// A name apt reads in sources.list.d: letters, digits, "_", "." and "-", not starting with "."
/// or "-", at most 100 bytes.
bool is_valid_apt_source_name(std::string_view name);

}  // namespace roux::resources
