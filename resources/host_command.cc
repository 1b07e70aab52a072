#include "resources/host_command.h"

#include "base/strings.h"

namespace roux::resources {

Status run_host_command(engine::ConvergeContext& ctx, host::Host& h, std::vector<std::string> argv,
                        const host::Host::Model& model, std::chrono::seconds timeout) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  o.timeout = timeout;
  o.env["LC_ALL"] = "C";
  ROUX_ASSIGN_OR_RETURN(SubprocessResult r, h.run(o, model));
  if (!r.output.empty()) ctx.add_output(r.output);
  if (r.exit_code != 0)
    return Status::command_failed(join(o.argv, " ") + " failed (exit " + std::to_string(r.exit_code) +
                                  "): " + one_line(trim(r.output), 400));
  return Status::ok();
}

}  // namespace roux::resources
