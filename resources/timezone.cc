// timezone: /etc/localtime a symbolic link to /usr/share/zoneinfo/ZONE (as tzdata and
// timedatectl make it) and /etc/timezone holding the zone's name (Debian's record, read by tzdata's
// configuration). A zone the host does not have (no /usr/share/zoneinfo/ZONE in the managed
// root, observed through the host door) fails the resource before anything is written. There is
// no live step: the C library reads /etc/localtime when a program starts (and at each tzset), so
// a daemon started earlier keeps the zone it read until it is restarted (notify it).
#include "resources/timezone.h"

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"

namespace roux::resources {

bool is_valid_timezone_name(std::string_view zone) {
  if (zone.empty() || zone.size() > 100) return false;
  for (const auto& part : split(zone, '/')) {
    if (part.empty() || part == "." || part == ".." || part[0] == '.' || part[0] == '-') return false;
    if (part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-") != std::string::npos)
      return false;
  }
  return true;
}

namespace {

constexpr const char* kZoneinfo = "/usr/share/zoneinfo/";

class TimezoneResource : public engine::Resource {
 public:
  explicit TimezoneResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "timezone"; }

  Status converge(engine::ConvergeContext& ctx) override {
    const host::Host& host = ctx.host();
    const std::string target = kZoneinfo + name();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo zone, host.lstat(target));
    if (zone.type != host::FileType::kFile && zone.type != host::FileType::kSymlink)
      return Status::not_found("the host has no time zone " + name() + " (" + target +
                               (zone.exists() ? std::string(" is a ") + host::file_type_name(zone.type) : " is missing") +
                               "; is tzdata installed?)");
    ROUX_ASSIGN_OR_RETURN(host::FileInfo lt, host.lstat("/etc/localtime"));
    if (lt.type == host::FileType::kDirectory || lt.type == host::FileType::kOther)
      return Status::conflict("/etc/localtime is a " + std::string(host::file_type_name(lt.type)) + "; refusing to replace it");
    std::string have_link;
    if (lt.type == host::FileType::kSymlink) {
      ROUX_ASSIGN_OR_RETURN(have_link, host.readlink("/etc/localtime"));
    }
    // systemd's timedatectl writes the link relative to /etc ("../usr/share/zoneinfo/ZONE"): the
    // same zone, not drift.
    if (have_link != target && have_link != ".." + target) {
      std::string before = lt.type == host::FileType::kSymlink ? have_link : lt.exists() ? "a file" : "absent";
      ROUX_TRY(ctx.change({"localtime", before, target, "", true},
                          [&](host::Host& h) { return h.symlink(target, "/etc/localtime"); }));
    }
    ROUX_ASSIGN_OR_RETURN(host::FileInfo tz, host.lstat("/etc/timezone"));
    if (tz.exists() && tz.type != host::FileType::kFile)
      return Status::conflict("/etc/timezone is a " + std::string(host::file_type_name(tz.type)) + ", not a file");
    std::string have;
    if (tz.exists()) {
      ROUX_ASSIGN_OR_RETURN(have, host.read_file("/etc/timezone", 1 << 16));
    }
    const std::string want = name() + "\n";
    if (tz.exists() && have == want) return Status::ok();
    uint32_t mode = tz.exists() ? tz.mode & 07777 : 0644;
    std::optional<uid_t> uid = tz.exists() ? tz.uid : 0;
    std::optional<gid_t> gid = tz.exists() ? tz.gid : 0;
    return ctx.change({"timezone_file", tz.exists() ? one_line(trim(have), 100) : "absent", name(),
                       unified_diff(have, want, "/etc/timezone")},
                      [&](host::Host& h) { return h.write_file("/etc/timezone", want, mode, uid, gid); });
  }
};

}  // namespace

engine::ResourceType timezone_type() {
  return {"timezone", "the time zone: /etc/localtime -> /usr/share/zoneinfo/ZONE and /etc/timezone",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_timezone_name(name))
              props.error("invalid time zone \"" + one_line(name) +
                          "\": a zoneinfo name such as Europe/Paris or Etc/UTC (letters, digits, _ + - and /)");
            return std::make_unique<TimezoneResource>(name);
          }};
}

}  // namespace roux::resources
