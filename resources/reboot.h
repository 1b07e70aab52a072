#pragma once
// reboot (reboot.cc): the request record and the end-of-run decision, exposed for the converge
// driver (src/cli/converge.cc) and the unit tests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/resource.h"

namespace roux::resources {

/// Where reboot resources record their requests, inside the managed root. /run is a tmpfs on
/// every systemd (and modern SysV) host, so the record lives exactly until the next boot: the
/// reboot itself is what clears it. Root-owned, 0644.
inline constexpr const char* kRebootRequestFile = "/run/roux/reboot-requests";

/// One request: which resource, whether it asks for the reboot itself or only records it, the
/// delay before the reboot, and why. A line of the record: "ID\tACTION\tDELAY\tREASON\n".
struct RebootRequest {
  std::string by;        // "reboot[kernel]"
  std::string action;    // "request" (record only) | "reboot" (reboot at the end of the run when allowed)
  int delay_minutes = 0;
  std::string reason;
  bool operator==(const RebootRequest&) const = default;
};

/// The record's lines, in order; malformed lines (not 4 tab-separated fields, a bad action or
/// delay) are skipped. Never fails: the record is roux's own, but it is read as hostile.
std::vector<RebootRequest> parse_reboot_requests(std::string_view text);
/// The record holding `requests` (one line each, in order).
std::string format_reboot_requests(const std::vector<RebootRequest>& requests);
/// `requests` with `r` in place of the line of the same `by` (kept at its place), or appended.
std::vector<RebootRequest> with_reboot_request(std::vector<RebootRequest> requests, const RebootRequest& r);
/// The request a reboot resource records; nullopt for any other resource.
std::optional<RebootRequest> reboot_request_of(const engine::Resource& r);

/// client.yaml `reboot:`: whether a converge may reboot the host, and how.
struct RebootPolicy {
  bool allow = false;                 // the safe zero value: never reboot, only report
  std::vector<std::string> command;   // argv; empty = shutdown -r (+N | now) MESSAGE
};

/// What the end of a run does about the pending requests.
struct RebootDecision {
  bool pending = false;                // any request recorded (or, in a plan, that would be)
  bool reboot = false;                 // this converge reboots the host after its report
  std::string why;                     // why not, when pending and !reboot
  int delay_minutes = 0;               // the largest delay of the requests asking for a reboot
  std::vector<std::string> command;    // what runs, when reboot
  std::string message;                 // "roux: REASON (reboot[x]); ..." (shutdown's wall message)
};

/// Decides: reboot only when some request has action "reboot", `policy.allow`, the run is on the
/// running machine (`on_root`: not --root), and nothing failed (`failed`: failed resources or
/// verify checks). The same in a plan as in the converge it predicts: only a converge acts on
/// it. Pure.
RebootDecision decide_reboot(const std::vector<RebootRequest>& requests, const RebootPolicy& policy, bool on_root,
                             int failed);

}  // namespace roux::resources
