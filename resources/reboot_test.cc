#include "resources/reboot.h"

#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "resources/compile_errors_test_util.h"

namespace roux::resources {

TEST_CASE("reboot: compile errors at file:line:col") {
  const engine::ResourceType t = reboot_type();
  CHECK(compile_errors(t, "kernel", "{action: reboot, reason: new kernel, delay_minutes: 5, refresh_only: true}\n") == "");
  CHECK(compile_errors(t, "kernel", "{}\n") == "");
  CHECK(compile_errors(t, "kernel", "{action: reboot_now}\n") ==
        "r.yaml:1:10: reboot[kernel]: action: \"reboot_now\": roux never reboots mid-run; action: reboot reboots at the "
        "end of the run (when client.yaml allows it), action: request only records the request\n");
  CHECK(compile_errors(t, "kernel", "{action: later}\n") ==
        "r.yaml:1:10: reboot[kernel]: action: must be one of request, reboot, got \"later\"\n");
  CHECK(compile_errors(t, "kernel", "{delay_minutes: 1441}\n") ==
        "r.yaml:1:17: reboot[kernel]: delay_minutes: must be between 0 and 1440, got 1441\n");
  CHECK(compile_errors(t, "kernel", "reason: \"a\\tb\"\n") ==
        "r.yaml:1:9: reboot[kernel]: reason: must be one line of at most 200 bytes, not empty\n");
  CHECK(compile_errors(t, "ker\tnel", "{}\n") ==
        "r.yaml:1:1: reboot[ker\tnel]: invalid reboot name \"ker\\tnel\": one line of at most 200 bytes\n");
  CHECK(compile_errors(t, "kernel", "{when: pending}\n") == "r.yaml:1:2: reboot[kernel]: unknown property \"when\" for reboot\n");
}

TEST_CASE("reboot: the request record round-trips and ignores junk") {
  std::vector<RebootRequest> r = {{"reboot[a]", "request", 0, "glibc"}, {"reboot[b]", "reboot", 5, "new kernel"}};
  const std::string text = format_reboot_requests(r);
  CHECK(text == "reboot[a]\trequest\t0\tglibc\nreboot[b]\treboot\t5\tnew kernel\n");
  CHECK(parse_reboot_requests(text) == r);
  CHECK(parse_reboot_requests("junk\nreboot[x]\tnow\t0\ty\nreboot[y]\treboot\t-1\ty\nreboot[z]\treboot\t99999\tz\n\n" + text) == r);
  auto moved = with_reboot_request(r, {"reboot[a]", "reboot", 1, "glibc 2"});
  CHECK(moved[0] == RebootRequest{"reboot[a]", "reboot", 1, "glibc 2"});
  CHECK(moved.size() == 2);
  CHECK(with_reboot_request({}, r[0]) == std::vector<RebootRequest>{r[0]});
}

TEST_CASE("reboot: the end-of-run decision") {
  RebootPolicy allow{true, {}}, deny;
  std::vector<RebootRequest> ask = {{"reboot[a]", "request", 9, "glibc"}, {"reboot[b]", "reboot", 2, "new kernel"}};
  CHECK(!decide_reboot({}, allow, true, 0).pending);
  RebootDecision d = decide_reboot(ask, allow, true, 0);
  CHECK(d.pending);
  CHECK(d.reboot);
  CHECK(d.delay_minutes == 2);  // only the requests that ask for the reboot count
  CHECK(d.command == std::vector<std::string>{"shutdown", "-r", "+2", "roux: glibc (reboot[a]); new kernel (reboot[b])"});
  CHECK(decide_reboot({ask[1]}, RebootPolicy{true, {"/usr/local/sbin/drain", "--now"}}, true, 0).command ==
        std::vector<std::string>{"/usr/local/sbin/drain", "--now"});
  CHECK(decide_reboot({{"reboot[b]", "reboot", 0, "k"}}, allow, true, 0).command[2] == "now");
  CHECK(decide_reboot({ask[0]}, allow, true, 0).why == "no request asks for the reboot itself (action: request)");
  CHECK(decide_reboot(ask, allow, false, 0).why == "--root: the tree is not the running machine");
  CHECK(decide_reboot(ask, deny, true, 0).why ==
        "the client config does not allow reboots (reboot: {allow: true} in client.yaml)");
  CHECK(decide_reboot(ask, allow, true, 2).why ==
        "2 failures in this run: the host is not rebooted onto a half-applied policy");
  CHECK(!decide_reboot(ask, allow, true, 1).reboot);
}

}  // namespace roux::resources
