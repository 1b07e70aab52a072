// reboot: asks for a reboot of the machine, never mid-run. Converging one records a request in
// /run/roux/reboot-requests (kRebootRequestFile: a tmpfs, so the reboot itself clears it), a
// change the first time and unchanged while the request stands; every run reports the pending
// requests (the report's `reboot`, the summary, the journal's closing record). With
// `action: reboot`, the converge that ends with such a request pending reboots the host after its
// report is written, handlers included, and only when the client config allows it
// (client.yaml `reboot: {allow: true}`), nothing failed, and the run is on the running machine
// (not --root): decide_reboot() says which, src/cli/converge.cc runs the command through the host
// door. Chef's `reboot` (`action :request_reboot`) and puppetlabs-reboot (`apply => finished`)
// are the models; Chef's `:reboot_now` (mid-run) is refused on purpose.
#include "resources/reboot.h"

#include <algorithm>

#include "base/strings.h"
#include "resources/builtin.h"

namespace roux::resources {

std::vector<RebootRequest> parse_reboot_requests(std::string_view text) {
  std::vector<RebootRequest> out;
  for (const auto& line : split_lines(text)) {
    std::vector<std::string> f = split(line, '\t');
    if (f.size() != 4 || f[0].empty() || (f[1] != "request" && f[1] != "reboot") || f[2].empty() || f[2].size() > 4 ||
        f[2].find_first_not_of("0123456789") != std::string::npos)
      continue;
    out.push_back({f[0], f[1], std::stoi(f[2]), f[3]});
  }
  return out;
}

std::string format_reboot_requests(const std::vector<RebootRequest>& requests) {
  std::string out;
  for (const auto& r : requests)
    out += r.by + "\t" + r.action + "\t" + std::to_string(r.delay_minutes) + "\t" + r.reason + "\n";
  return out;
}

std::vector<RebootRequest> with_reboot_request(std::vector<RebootRequest> requests, const RebootRequest& r) {
  for (auto& have : requests)
    if (have.by == r.by) {
      have = r;
      return requests;
    }
  requests.push_back(r);
  return requests;
}

RebootDecision decide_reboot(const std::vector<RebootRequest>& requests, const RebootPolicy& policy, bool on_root,
                             int failed) {
  RebootDecision d;
  d.pending = !requests.empty();
  if (!d.pending) return d;
  bool asked = false;
  std::vector<std::string> reasons;
  for (const auto& r : requests) {
    reasons.push_back(r.reason + " (" + r.by + ")");
    if (r.action == "reboot") {
      asked = true;
      d.delay_minutes = std::max(d.delay_minutes, r.delay_minutes);
    }
  }
  d.message = one_line("roux: " + join(reasons, "; "), 400);
  if (!asked) d.why = "no request asks for the reboot itself (action: request)";
  else if (!on_root) d.why = "--root: the tree is not the running machine";
  else if (!policy.allow) d.why = "the client config does not allow reboots (reboot: {allow: true} in client.yaml)";
  else if (failed > 0)
    d.why = std::to_string(failed) + " failure" + (failed == 1 ? "" : "s") +
            " in this run: the host is not rebooted onto a half-applied policy";
  if (!d.why.empty()) return d;
  d.reboot = true;
  d.command = !policy.command.empty()
                  ? policy.command
                  : std::vector<std::string>{"shutdown", "-r",
                                             d.delay_minutes > 0 ? "+" + std::to_string(d.delay_minutes) : "now",
                                             d.message};
  return d;
}

namespace {

/// "reboot +5m: new kernel" / "request: new kernel": what a change of the record shows.
std::string describe(const RebootRequest& r) {
  return r.action + (r.delay_minutes > 0 ? " +" + std::to_string(r.delay_minutes) + "m" : "") + ": " + r.reason;
}

class RebootResource : public engine::Resource {
 public:
  explicit RebootResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "reboot"; }

  Status converge(engine::ConvergeContext& ctx) override {
    if (refresh_only) return Status::ok();
    return record(ctx);
  }
  Status refresh(engine::ConvergeContext& ctx, std::string_view) override { return record(ctx); }

  RebootRequest request;  // `by` is id()
  bool refresh_only = false;

 private:
  /// Puts this resource's request in the record, unless the record holds it already.
  Status record(engine::ConvergeContext& ctx) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(kRebootRequestFile));
    if (fi.exists() && fi.type != host::FileType::kFile)
      return Status::conflict(std::string(kRebootRequestFile) + " is a " + host::file_type_name(fi.type) + ", not a file");
    std::string have;
    if (fi.exists()) {
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(kRebootRequestFile, 1 << 20));
    }
    std::vector<RebootRequest> requests = parse_reboot_requests(have);
    std::string before;
    for (const auto& r : requests) {
      if (r == request) return Status::ok();
      if (r.by == request.by) before = describe(r);
    }
    const std::string want = format_reboot_requests(with_reboot_request(std::move(requests), request));
    return ctx.change({"request", before, describe(request), "", true}, [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, "/run/roux", 0755));
      return h.write_file(kRebootRequestFile, want, 0644, 0, 0);
    });
  }
};

}  // namespace

std::optional<RebootRequest> reboot_request_of(const engine::Resource& r) {
  if (const auto* rr = dynamic_cast<const RebootResource*>(&r)) return rr->request;
  return std::nullopt;
}

engine::ResourceType reboot_type() {
  return {"reboot", "asks for a reboot: recorded and reported, or made at the end of the run when client.yaml allows it",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<RebootResource>(name);
            if (name.empty() || has_control_char(name) || name.size() > 200)
              props.error("invalid reboot name \"" + one_line(name) + "\": one line of at most 200 bytes");
            r->request.by = r->id();
            if (const engine::Value* a = props.raw("action");
                a && a->kind == engine::Value::Kind::kScalar && (a->scalar == "reboot_now" || a->scalar == "now")) {
              props.error("action", "\"" + a->scalar +
                                        "\": roux never reboots mid-run; action: reboot reboots at the end of the run "
                                        "(when client.yaml allows it), action: request only records the request");
            } else {
              r->request.action = props.one_of("action", {"request", "reboot"}).value_or("request");
            }
            r->request.delay_minutes = static_cast<int>(props.integer("delay_minutes", 0, 1440).value_or(0));
            r->request.reason = name;
            if (auto reason = props.string("reason")) {
              r->request.reason = *reason;
              if (reason->empty() || has_control_char(*reason) || reason->size() > 200)
                props.error("reason", "must be one line of at most 200 bytes, not empty");
            }
            r->refresh_only = props.boolean("refresh_only").value_or(false);
            return r;
          }};
}

}  // namespace roux::resources
