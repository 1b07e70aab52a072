// roux secret keygen | encrypt | decrypt: values encrypted for a host (or group) key.
#include <iostream>
#include <iterator>

#include "base/secret.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_code.h"

namespace roux::cli {
namespace {

struct SecretOptions {
  std::string out, key, value;
  bool has_value = false;
};

std::string read_stdin() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return s;
}

int fail(const Status& s) {
  std::cerr << "roux: error: " << escape_controls(s.to_string()) << "\n";
  return kExitNoRun;
}

}  // namespace

void add_secret_commands(CLI::App& app, int* exit_code) {
  auto* o = new SecretOptions();  // lives as long as the app's callbacks
  auto* cmd = app.add_subcommand("secret", "encrypted values for recipes and attributes (X25519 + AES-256-GCM)");
  cmd->require_subcommand(1);

  auto* keygen = cmd->add_subcommand("keygen", "write a new key pair: PREFIX.key (private, 0600) and PREFIX.pub");
  keygen->add_option("--out", o->out, "path prefix of the key files")->required();
  keygen->callback([o, exit_code] {
    Status s = secret::keygen(o->out);
    if (!s.is_ok()) {
      *exit_code = fail(s);
      return;
    }
    std::cout << "wrote " << o->out << ".key (keep it on the host, mode 0600) and " << o->out << ".pub\n";
    *exit_code = kExitClean;
  });

  auto* enc = cmd->add_subcommand("encrypt", "encrypt --value V (or stdin, taken as is) for a public key; prints ENC[roux,v1,...]");
  enc->add_option("--key", o->key, "the recipient's public key (PREFIX.pub)")->required();
  enc->add_option("--value", o->value, "the plaintext (beware: visible in ps and shell history; prefer stdin)");
  enc->callback([o, exit_code, enc] {
    std::string plain = enc->count("--value") ? o->value : read_stdin();
    auto r = secret::encrypt(plain, o->key);
    if (!r.is_ok()) {
      *exit_code = fail(r.status());
      return;
    }
    std::cout << *r << "\n";
    *exit_code = kExitClean;
  });

  auto* dec = cmd->add_subcommand("decrypt", "decrypt an ENC[roux,...] value read from stdin with a private key");
  dec->add_option("--key", o->key, "the private key (PREFIX.key)")->required();
  dec->callback([o, exit_code] {
    auto key = secret::PrivateKey::load(o->key);
    if (!key.is_ok()) {
      *exit_code = fail(key.status());
      return;
    }
    auto r = key->decrypt(read_stdin());
    if (!r.is_ok()) {
      *exit_code = fail(r.status());
      return;
    }
    std::cout << *r;
    *exit_code = kExitClean;
  });
}

}  // namespace roux::cli
