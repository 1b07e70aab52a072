#pragma once
// A command that changes the host (mount, modprobe, mkswap, swapon), run the same way by the
// types that need one: through Host::run, so a plan applies its model instead of running it.
#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/resource.h"

namespace roux::resources {

/// Runs `argv` (LC_ALL=C, killed after `timeout`) through the writable host `h` with `model` as
/// its effect in a plan; its output is added to the resource's output. A non-zero exit is a
/// command_failed Status "ARGV failed (exit N): OUTPUT (one line)".
Status run_host_command(engine::ConvergeContext& ctx, host::Host& h, std::vector<std::string> argv,
                        const host::Host::Model& model, std::chrono::seconds timeout);

}  // namespace roux::resources
