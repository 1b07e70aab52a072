#include "resources/mount.h"

#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "tests/unit/type_errors.h"

namespace roux::resources {

namespace {
std::string errors_of(const std::string& name, const std::string& yaml) {
  return testing::type_errors(mount_type(), name, yaml);
}
}  // namespace

TEST_CASE("mount: fields escape and unescape as fstab and mountinfo do") {
  CHECK(escape_mount_field("/mnt/my disk\\x") == "/mnt/my\\040disk\\134x");
  CHECK(unescape_mount_field("/mnt/my\\040disk\\134x") == "/mnt/my disk\\x");
  CHECK(unescape_mount_field("a\\04") == "a\\04");
  CHECK(unescape_mount_field("a\\999") == "a\\999");
}

TEST_CASE("mount: fstab lines parse, edit in place, keep foreign lines") {
  auto e = parse_fstab_line("UUID=abc  /data\text4 noatime 0 2");
  REQUIRE(e);
  CHECK(e->device == "UUID=abc");
  CHECK(e->mount_point == "/data");
  CHECK(e->fstype == "ext4");
  CHECK(e->options == "noatime");
  CHECK(e->pass == 2);
  CHECK(!parse_fstab_line("# UUID=abc /data ext4"));
  CHECK(!parse_fstab_line("   "));
  auto short_line = parse_fstab_line("/dev/sdb1 /b");
  REQUIRE(short_line);
  CHECK(short_line->options == "defaults");

  const std::string fstab = "# static\nproc /proc proc defaults 0 0\ntmpfs /t tmpfs size=1m 0 0\r\n/dev/x /t ext4 ro 0 0\n";
  FstabEntry want{"tmpfs", "/t", "tmpfs", "size=2m", 0, 0};
  std::optional<FstabEntry> old;
  CHECK(edit_fstab(fstab, "/t", &want, &old) == "# static\nproc /proc proc defaults 0 0\ntmpfs\t/t\ttmpfs\tsize=2m\t0\t0\r\n");
  REQUIRE(old);
  CHECK(old->options == "size=1m");
  CHECK(edit_fstab(fstab, "/t", nullptr, &old) == "# static\nproc /proc proc defaults 0 0\n");
  CHECK(edit_fstab("proc /proc proc defaults 0 0", "/t", &want, &old) ==
        "proc /proc proc defaults 0 0\ntmpfs\t/t\ttmpfs\tsize=2m\t0\t0\n");
  CHECK(!old);
  // An equal entry written with other blanks is left as it is.
  CHECK(edit_fstab("tmpfs  /t  tmpfs  size=2m  0  0\n", "/t", &want, &old) == "tmpfs  /t  tmpfs  size=2m  0  0\n");
}

TEST_CASE("mount: mountinfo parses; the plan's model of mount, umount and remount") {
  const std::string info =
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "40 22 0:30 / /mnt/a\\040b rw,relatime shared:5 - tmpfs tmpfs rw,size=8192k\n"
      "41 40 0:31 / /mnt/a\\040b ro master:1 - ext4 /dev/sdb1 ro\n";
  auto mounts = parse_mountinfo(info);
  REQUIRE(mounts.size() == 3);
  auto top = find_mount(mounts, "/mnt/a b");
  REQUIRE(top);
  CHECK(top->fstype == "ext4");
  CHECK(top->source == "/dev/sdb1");
  CHECK(top->options == "ro");
  CHECK(!find_mount(mounts, "/mnt"));

  FstabEntry e{"tmpfs", "/m", "tmpfs", "size=1m,ro", 0, 0};
  std::string after = mountinfo_after_mount(info, e);
  auto m = find_mount(parse_mountinfo(after), "/m");
  REQUIRE(m);
  CHECK(m->options == "ro");
  CHECK(m->super_options == "size=1m,ro");
  CHECK(find_mount(parse_mountinfo(mountinfo_after_remount(after, "/m", "size=2m")), "/m")->super_options == "size=2m");
  CHECK(mountinfo_after_umount(after, "/m") == info);
  CHECK(find_mount(parse_mountinfo(mountinfo_after_umount(info, "/mnt/a b")), "/mnt/a b")->fstype == "tmpfs");
}

TEST_CASE("mount: compile errors at the property") {
  CHECK(errors_of("/data", "device: UUID=1\nfstype: ext4\noptions: [noatime, nofail]\npass: 2\n") == "");
  CHECK(errors_of("/data", "ensure: absent\n") == "");
  CHECK(errors_of("/data", "fstype: ext4\n") ==
        "r.yaml:1:1: mount[/data]: device: is required (/dev/sdb1, UUID=..., LABEL=..., server:/export, tmpfs)\n");
  CHECK(errors_of("/", "device: x\nfstype: ext4\n") ==
        "r.yaml:1:1: mount[/]: the root file system is not managed by a mount resource\n");
  CHECK(errors_of("/data", "device: x\nfstype: Ext4\n") ==
        "r.yaml:2:9: mount[/data]: fstype: must be lower-case letters, digits and . _ + - (ext4, fuse.sshfs)\n");
  CHECK(errors_of("/data", "device: 'a b'\nfstype: ext4\n") ==
        "r.yaml:1:9: mount[/data]: device: must be one word without blanks, backslashes, # or control characters\n");
  CHECK(errors_of("/data", "device: x\nfstype: ext4\noptions: 'a,,b'\n") ==
        "r.yaml:3:10: mount[/data]: options: must be mount options without blanks, backslashes, # or empty items "
        "(defaults, noatime, size=64m)\n");
  CHECK(errors_of("/data", "device: x\nfstype: ext4\npass: 10\n").find("r.yaml:3:7: mount[/data]: pass:") == 0);
  CHECK(errors_of("/data", "ensure: absent\ndevice: x\n") ==
        "r.yaml:2:9: mount[/data]: device: has no meaning with ensure: absent\n");
  CHECK(errors_of("/data", "ensure: defined\ndevice: x\nfstype: ext4\n").find("r.yaml:1:9: mount[/data]: ensure:") == 0);
}

}  // namespace roux::resources
