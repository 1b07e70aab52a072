// roux validate PATH...: compile without touching any host. A PATH is a policy file, a folder
// holding policy.yaml, or a cookbook folder (each recipe compiled alone with default attributes).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/strings.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "facts/facts.h"
#include "resources/builtin.h"

namespace roux::cli {
namespace {

namespace fs = std::filesystem;

int validate(const std::vector<std::string>& paths, const std::vector<std::string>& sources,
             const std::vector<std::string>& trust, const std::string& config_file) {
  // --config: how sources are reached (git: credentials, ca_bundle, http: deadlines), as converge.
  ClientConfig config;
  if (!config_file.empty()) {
    auto c = load_client_config(config_file);
    if (!c.is_ok()) {
      std::cerr << "roux: " << escape_controls(c.status().to_string()) << "\n";
      return kExitNoRun;
    }
    config = std::move(*c);
  }
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts = facts::gather();
  size_t error_count = 0;
  auto report = [&](const std::string& path, const compiler::CompileResult& r, const std::string& what) {
    for (const auto& e : r.errors) std::cerr << escape_controls(e.to_string()) << "\n";
    error_count += r.errors.size();
    if (r.ok()) std::cout << "ok: " << what << " (" << r.compiled->graph.size() << " resources)\n";
    (void)path;
  };
  for (const auto& path : paths) {
    std::error_code fs_ec;  // the non-throwing overloads: a path too long is an error, not an abort
    if (fs::is_directory(path, fs_ec) && fs::exists(fs::path(path) / "metadata.yaml", fs_ec)) {
      std::vector<std::string> recipes;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(fs::path(path) / "recipes", ec))
        if (e.path().extension() == ".yaml") recipes.push_back(e.path().stem().string());
      std::sort(recipes.begin(), recipes.end());
      if (recipes.empty()) {
        std::cerr << path << ": cookbook has no recipes/*.yaml\n";
        ++error_count;
      }
      for (const auto& r : recipes)
        report(path, compiler::compile_cookbook_recipe(path, r, registry, facts), path + " recipe " + r);
      continue;
    }
    std::string policy = fs::is_directory(path, fs_ec) ? (fs::path(path) / "policy.yaml").string() : path;
    if (!fs::exists(policy, fs_ec)) {
      std::cerr << path << ": not a policy file, a folder with policy.yaml, or a cookbook folder\n";
      ++error_count;
      continue;
    }
    compiler::CompileOptions opts{policy, sources, "", ""};
    opts.trusted_keys = trust;  // signed sources (as converge --trust)
    opts.trusted_keys.insert(opts.trusted_keys.end(), config.trusted_keys.begin(), config.trusted_keys.end());
    opts.ca_bundle = config.ca_bundle;
    opts.transfer = config.http;
    opts.git = config.git;
    report(path, compiler::compile_policy(opts, registry, facts), policy);
  }
  if (error_count) {
    std::cerr << "roux: " << error_count << " error" << (error_count == 1 ? "" : "s") << "\n";
    return kExitNoRun;
  }
  return kExitClean;
}

}  // namespace

void add_validate_command(CLI::App& app, int* exit_code) {
  auto* paths = new std::vector<std::string>();
  auto* sources = new std::vector<std::string>();
  auto* trust = new std::vector<std::string>();
  auto* config = new std::string();
  auto* cmd = app.add_subcommand("validate", "check policies and cookbooks (schema and semantics); touches nothing");
  cmd->add_option("paths", *paths, "policy files, folders with policy.yaml, or cookbook folders")->required();
  cmd->add_option("--source,-s", *sources, "extra cookbook source for policies");
  cmd->add_option("--trust", *trust, "trust this Ed25519 public key (.pub) for signed sources (repeatable; as converge --trust)");
  cmd->add_option("--config", *config,
                  "client config whose git: credentials, ca_bundle, http: limits and trusted_keys the sources use");
  cmd->callback([paths, sources, trust, config, exit_code] { *exit_code = validate(*paths, *sources, *trust, *config); });
}

}  // namespace roux::cli
