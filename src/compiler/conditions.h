#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/value.h"

namespace roux::compiler {

/// Evaluates a resource's fact conditions at compile time:
///   only_if_fact: {os.version_id: "12", virtualization.container: false}   every entry must hold
///   not_if_fact:  {os.family: [redhat, suse]}                               any entry holding skips
/// A value is a scalar or a list of alternatives; facts are dotted paths into `roux facts`.
/// Returns "" when the resource should run, else the skip reason the report shows
/// ("only_if_fact os.version_id is \"11\", not \"12\""). Unknown facts and malformed
/// conditions are errors at their file:line:col, so a typo never silently skips a resource.
std::string evaluate_fact_conditions(const engine::Value* only_if, const engine::Value* not_if,
                                     const nlohmann::ordered_json& facts, const std::string& owner,
                                     std::vector<Status>* errors);

}  // namespace roux::compiler
