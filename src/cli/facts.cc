// roux facts: what roux knows about this machine (templates see the same under `facts`).
#include <iostream>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "facts/facts.h"

namespace roux::cli {
namespace {

void print_flat(const nlohmann::ordered_json& j, const std::string& prefix) {
  for (const auto& [k, v] : j.items()) {
    std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) print_flat(v, key);
    else std::cout << key << ": " << (v.is_string() ? v.get<std::string>() : json_dump(v)) << "\n";
  }
}

}  // namespace

void add_facts_command(CLI::App& app, int* exit_code) {
  auto* format = new std::string("text");
  auto* cmd = app.add_subcommand("facts", "print the facts gathered about this machine");
  cmd->add_option("--format", *format, "output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([format, exit_code] {
    auto j = facts::to_json(facts::gather());
    if (*format == "json") std::cout << json_dump(j, 2) << "\n";
    else print_flat(j, "");
    *exit_code = kExitClean;
  });
}

}  // namespace roux::cli
