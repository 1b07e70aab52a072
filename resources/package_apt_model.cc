// The known effect of an apt transaction, for the planned host (see Host::Model): what a plan
// shows later resources after `package` resources. The dpkg database says what the transaction
// leaves installed; each package installed or upgraded is fetched with `apt-get download` into a
// private temp folder (never the host's caches) and its files are laid out as dpkg would lay them
// (a conffile already on the host is kept: --force-confold); the services its maintainer scripts
// enable and start are recorded, honouring policy-rc.d as invoke-rc.d does. A removal deletes the
// package's files (conffiles only on purge) and its prerm stops its services.
// All of it is a prediction: the engine marks every change it causes as such.
#include <cctype>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "resources/package_provider.h"

namespace roux::resources {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStatus = "/var/lib/dpkg/status";

/// /var/lib/dpkg/status as stanzas of lines, edited in place.
struct StatusFile {
  std::vector<std::vector<std::string>> stanzas;

  void parse(std::string_view text) {
    std::vector<std::string> cur;
    for (auto& l : split_lines(text)) {
      if (l.empty()) {
        if (!cur.empty()) stanzas.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(l);
      }
    }
    if (!cur.empty()) stanzas.push_back(std::move(cur));
  }
  std::string text() const {
    std::string out;
    for (const auto& s : stanzas) {
      for (const auto& l : s) out += l + "\n";
      out += "\n";
    }
    return out;
  }
  static std::string field(const std::vector<std::string>& s, std::string_view key) {
    for (const auto& l : s)
      if (l.size() > key.size() && l.compare(0, key.size(), key) == 0 && l[key.size()] == ':')
        return std::string(trim(std::string_view(l).substr(key.size() + 1)));
    return "";
  }
  static void set_field(std::vector<std::string>& s, std::string_view key, const std::string& value) {
    for (auto& l : s)
      if (l.size() > key.size() && l.compare(0, key.size(), key) == 0 && l[key.size()] == ':') {
        l = std::string(key) + ": " + value;
        return;
      }
    s.insert(s.begin() + std::min<size_t>(1, s.size()), std::string(key) + ": " + value);
  }
  /// "name" or "name:arch".
  std::vector<std::string>* find(const std::string& spec) {
    std::string name = spec.substr(0, spec.find(':'));
    std::string arch = spec.find(':') == std::string::npos ? "" : spec.substr(spec.find(':') + 1);
    for (auto& s : stanzas)
      if (field(s, "Package") == name && (arch.empty() || field(s, "Architecture") == arch || field(s, "Architecture") == "all"))
        return &s;
    return nullptr;
  }
  void erase(const std::vector<std::string>* s) {
    stanzas.erase(std::remove_if(stanzas.begin(), stanzas.end(), [&](const auto& x) { return &x == s; }), stanzas.end());
  }
  /// The paths of a stanza's "Conffiles:" block.
  static std::set<std::string> conffiles(const std::vector<std::string>& s) {
    std::set<std::string> out;
    bool in = false;
    for (const auto& l : s) {
      if (!l.empty() && l[0] != ' ') in = starts_with(l, "Conffiles:");
      else if (in) {
        auto parts = split(std::string(trim(l)), ' ');
        if (!parts.empty()) out.insert(parts[0]);
      }
    }
    return out;
  }
};

/// A private temp folder on this machine, removed with its content.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/roux-plan-pkg.XXXXXX";
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<std::string> read_local(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::io("read " + p.string(), errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a read-only tool (for the host's state) whose output lands in `cwd`, a private folder.
Result<SubprocessResult> run_tool(const host::Host& h, std::vector<std::string> argv, const std::string& cwd) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  o.cwd = cwd;
  o.env = {{"LC_ALL", "C"}, {"DEBIAN_FRONTEND", "noninteractive"}};
  o.timeout = std::chrono::minutes(10);
  return h.run_check(o);
}

/// What one fetched package brings.
struct Fetched {
  std::string control;                 // the control stanza
  std::set<std::string> conffiles;     // absolute paths
  std::string postinst;
  fs::path tree;                       // its files, extracted
};

std::vector<std::string> download_argv(const host::Host& h, const std::string& spec) {
  std::vector<std::string> argv = {"apt-get", "-q", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                                   "-o", "Debug::NoLocking=1"};
  for (auto& o : apt_view_options(h)) argv.push_back(std::move(o));
  argv.push_back("download");
  argv.push_back(spec);
  return argv;
}

/// The private apt folders of each planned host that planned a refresh; removed at exit.
std::mutex g_views_mu;
std::map<const host::Host*, std::unique_ptr<TempDir>>& views() {
  static std::map<const host::Host*, std::unique_ptr<TempDir>> v;
  return v;
}

/// `text` of a deb822 .sources file with every `Signed-By:` file path replaced by a private copy
/// of that file as the planned host has it (copied into `keys`). Inline keys stay as they are.
Result<std::string> private_signed_by(const host::Host& h, const std::string& text, const std::string& keys, int* n) {
  std::string out;
  for (const auto& line : split_lines(text)) {
    std::string_view l = line;
    if (l.size() > 10 && (l.substr(0, 10) == "Signed-By:" || l.substr(0, 10) == "signed-by:")) {
      std::string path(trim(l.substr(10)));
      if (!path.empty() && path[0] == '/' && path.find(' ') == std::string::npos) {
        auto fi = h.lstat(path);
        if (fi.is_ok() && fi->type == host::FileType::kFile) {
          ROUX_ASSIGN_OR_RETURN(std::string key, h.read_file(path, 1 << 20));
          std::string copy = keys + "/" + std::to_string((*n)++) + "-" + fs::path(path).filename().string();
          std::ofstream f(copy, std::ios::binary);
          f << key;
          if (!f) return Status::io("write " + copy, errno);
          out += "Signed-By: " + copy + "\n";
          continue;
        }
      }
    }
    out += line + "\n";
  }
  return out;
}

Status write_local(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  if (!f) return Status::io("write " + path, errno);
  return Status::ok();
}

}  // namespace

std::vector<std::string> apt_view_options(const host::Host& h) {
  std::lock_guard lock(g_views_mu);
  auto it = views().find(&h);
  if (it == views().end()) return {};
  const std::string& d = it->second->path();
  return {"-o", "Dir::State::Lists=" + d + "/lists", "-o", "Dir::Etc::SourceList=" + d + "/sources.list",
          "-o", "Dir::Etc::SourceParts=" + d + "/sources.list.d"};
}

Status model_apt_update(host::Host& h) {
  auto tmp = std::make_unique<TempDir>();
  if (tmp->path().empty()) return Status::io("mkdtemp for the planned apt-get update", errno);
  const std::string d = tmp->path();
  std::error_code ec;
  for (const char* sub : {"/lists/partial", "/sources.list.d", "/keys"}) fs::create_directories(d + sub, ec);
  // The host's lists, linked: apt replaces a list it fetches anew by a rename in the private
  // folder, and reads an unchanged one through the link, so only what changed is downloaded.
  for (const auto& f : fs::directory_iterator("/var/lib/apt/lists", ec))
    if (f.is_regular_file(ec) && f.path().filename() != "lock")
      fs::create_symlink(f.path(), d + "/lists/" + f.path().filename().string(), ec);
  // The sources and keys as the plan leaves them.
  int n = 0;
  ROUX_ASSIGN_OR_RETURN(host::FileInfo sl, h.lstat("/etc/apt/sources.list"));
  std::string main_list;
  if (sl.type == host::FileType::kFile) {
    ROUX_ASSIGN_OR_RETURN(main_list, h.read_file("/etc/apt/sources.list", 1 << 20));
  }
  ROUX_TRY(write_local(d + "/sources.list", main_list));
  ROUX_ASSIGN_OR_RETURN(host::FileInfo parts, h.lstat("/etc/apt/sources.list.d"));
  if (parts.type == host::FileType::kDirectory) {
    ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, h.list_dir("/etc/apt/sources.list.d"));
    for (const auto& name : names) {
      bool deb822 = name.size() > 8 && name.compare(name.size() - 8, 8, ".sources") == 0;
      bool list = name.size() > 5 && name.compare(name.size() - 5, 5, ".list") == 0;
      if (!deb822 && !list) continue;
      std::string path = "/etc/apt/sources.list.d/" + name;
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(path));
      if (fi.type != host::FileType::kFile) continue;
      ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(path, 1 << 20));
      if (deb822) {
        ROUX_ASSIGN_OR_RETURN(text, private_signed_by(h, text, d + "/keys", &n));
      }
      ROUX_TRY(write_local(d + "/sources.list.d/" + name, text));
    }
  }
  ROUX_ASSIGN_OR_RETURN(SubprocessResult r,
                        run_tool(h, {"apt-get", "-q", "-o", "Dir::State::Lists=" + d + "/lists", "-o",
                                     "Dir::Etc::SourceList=" + d + "/sources.list", "-o",
                                     "Dir::Etc::SourceParts=" + d + "/sources.list.d", "-o", "Dir::Cache::pkgcache=",
                                     "-o", "Dir::Cache::srcpkgcache=", "-o", "Debug::NoLocking=1", "-o",
                                     "APT::Sandbox::User=root", "update"},
                                 d));
  if (r.exit_code != 0) {
    std::vector<std::string> errs;
    for (const auto& l : split_lines(r.output))
      if (starts_with(l, "E: ")) errs.push_back(l);
    return Status::command_failed("apt-get update exited " + std::to_string(r.exit_code) + ": " +
                                  (errs.empty() ? one_line(r.output, 600) : join(errs, "; ")));
  }
  std::lock_guard lock(g_views_mu);
  views()[&h] = std::move(tmp);
  return Status::ok();
}

namespace {

Result<Fetched> fetch(const host::Host& h, const TempDir& tmp, const TransactionEntry& e) {
  std::string name = e.name.substr(0, e.name.find(':'));
  std::string dir = tmp.path() + "/" + name;
  std::error_code ec;
  fs::create_directories(dir + "/dl", ec);
  ROUX_ASSIGN_OR_RETURN(SubprocessResult r,
                        run_tool(h, download_argv(h, e.name + "=" + e.to), dir + "/dl"));
  if (r.exit_code != 0) return Status::command_failed("apt-get download " + e.name + "=" + e.to + ": " + one_line(r.output, 300));
  std::string deb;
  for (const auto& f : fs::directory_iterator(dir + "/dl", ec))
    if (f.path().extension() == ".deb") deb = f.path().string();
  if (deb.empty()) return Status::not_found("apt-get download " + e.name + " left no .deb");
  Fetched out;
  out.tree = dir + "/root";
  ROUX_ASSIGN_OR_RETURN(r, run_tool(h, {"dpkg-deb", "-x", deb, out.tree.string()}, dir));
  if (r.exit_code != 0) return Status::command_failed("dpkg-deb -x " + deb + ": " + one_line(r.output, 300));
  ROUX_ASSIGN_OR_RETURN(r, run_tool(h, {"dpkg-deb", "-e", deb, dir + "/control"}, dir));
  if (r.exit_code != 0) return Status::command_failed("dpkg-deb -e " + deb + ": " + one_line(r.output, 300));
  if (auto c = read_local(dir + "/control/control"); c.is_ok()) out.control = *c;
  if (auto c = read_local(dir + "/control/conffiles"); c.is_ok())
    for (auto& l : split_lines(*c))
      if (!trim(l).empty()) out.conffiles.insert(std::string(trim(l)));
  if (auto c = read_local(dir + "/control/postinst"); c.is_ok()) out.postinst = *c;
  return out;
}

/// Lays the package's files onto the host as dpkg unpacks them. `known` are the conffiles dpkg's
/// database already holds for the package (installed, or removed with its config files kept): one
/// of those missing on the host was deleted by the admin, and dpkg leaves it deleted (no
/// --force-confmiss), as it keeps one that is there (--force-confold).
Status lay_out(host::Host& h, const Fetched& f, const std::set<std::string>& known) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(f.tree, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string rel = "/" + fs::relative(it->path(), f.tree, ec).string();
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;
    ROUX_ASSIGN_OR_RETURN(host::FileInfo have, h.lstat(rel));
    if (S_ISDIR(st.st_mode)) {
      if (!have.exists()) {
        ROUX_TRY(h.mkdir(rel, st.st_mode & 07777));
        ROUX_TRY(h.chown(rel, st.st_uid, st.st_gid));
      }
      continue;
    }
    if (have.type == host::FileType::kDirectory) continue;  // dpkg would fail; the real run will say
    if (S_ISLNK(st.st_mode)) {
      ROUX_TRY(h.symlink(fs::read_symlink(it->path(), ec).string(), rel));
    } else if (S_ISREG(st.st_mode)) {
      if (f.conffiles.count(rel) && (have.exists() || known.count(rel))) continue;  // the host's, or its deletion
      ROUX_ASSIGN_OR_RETURN(std::string data, read_local(it->path()));
      ROUX_TRY(h.write_file(rel, data, st.st_mode & 07777, st.st_uid, st.st_gid));
    }
  }
  return Status::ok();
}

/// Services a package ships: init scripts and systemd units, by service name.
std::set<std::string> shipped_services(const std::vector<std::string>& paths) {
  std::set<std::string> out;
  for (const auto& p : paths) {
    if (starts_with(p, "/etc/init.d/") && p.find('/', 12) == std::string::npos && p.size() > 12) out.insert(p.substr(12));
    for (std::string_view dir : {"/lib/systemd/system/", "/usr/lib/systemd/system/"})
      if (starts_with(p, dir) && p.size() > dir.size() + 8 && p.compare(p.size() - 8, 8, ".service") == 0 &&
          p.find('@') == std::string::npos && p.find('/', dir.size()) == std::string::npos)
        out.insert(p.substr(dir.size(), p.size() - dir.size() - 8));
  }
  return out;
}

/// Whether invoke-rc.d (or deb-systemd-invoke) would start `service` from a maintainer script on
/// this host: policy-rc.d allows it (exit 0 or 104, or no policy), and the host is booted (/sbin/init).
bool policy_allows_start(const host::Host& h, const std::string& service) {
  auto init = h.lstat("/sbin/init");
  if (!init.is_ok() || !init->exists()) return false;
  auto pol = h.lstat("/usr/sbin/policy-rc.d");
  if (!pol.is_ok() || !pol->exists()) return true;
  SubprocessOptions o;
  o.argv = {"/usr/sbin/policy-rc.d", service, "start"};
  o.timeout = std::chrono::seconds(30);
  auto r = h.run_check(o);
  return r.is_ok() && (r->exit_code == 0 || r->exit_code == 104);
}

/// The rc?.d links of a SysV service: "[SK]NN" + name.
bool is_rc_link(const std::string& entry, const std::string& service) {
  return entry.size() == service.size() + 3 && (entry[0] == 'S' || entry[0] == 'K') && std::isdigit(static_cast<unsigned char>(entry[1])) &&
         std::isdigit(static_cast<unsigned char>(entry[2])) && entry.compare(3, std::string::npos, service) == 0;
}

/// Whether the service has boot links at all (an admin's or a package's decision, enabled or
/// not): then a postinst's `update-rc.d NAME defaults` / `deb-systemd-helper` leaves it as it is.
bool has_boot_state(const host::Host& h, const std::string& service) {
  if (h.service_enabled(service)) return true;
  for (const char* level : {"0", "1", "2", "3", "4", "5", "6", "S"}) {
    auto names = h.list_dir(std::string("/etc/rc") + level + ".d");
    if (!names.is_ok()) continue;
    for (const auto& n : *names)
      if (is_rc_link(n, service)) return true;
  }
  auto dsh = h.lstat("/var/lib/systemd/deb-systemd-helper-enabled/" + service + ".service.dsh-also");
  return dsh.is_ok() && dsh->exists();
}

/// Whether the service starts in the running runlevel (an S link in rc2-5, as invoke-rc.d asks
/// before a start or restart) or its unit is wanted by a target; what this run did first wins.
bool enabled_now(const host::Host& h, const std::string& service) {
  if (auto e = h.service_enabled(service)) return *e;
  for (const char* level : {"2", "3", "4", "5"}) {
    auto names = h.list_dir(std::string("/etc/rc") + level + ".d");
    if (!names.is_ok()) continue;
    for (const auto& n : *names)
      if (n[0] == 'S' && is_rc_link(n, service)) return true;
  }
  auto wants = h.lstat("/etc/systemd/system/multi-user.target.wants/" + service + ".service");
  return wants.is_ok() && wants->exists();
}

/// A purged package's postrm `update-rc.d NAME remove`: its boot links go.
Status remove_rc_links(host::Host& h, const std::string& service) {
  for (const char* level : {"0", "1", "2", "3", "4", "5", "6", "S"}) {
    std::string dir = std::string("/etc/rc") + level + ".d";
    auto names = h.list_dir(dir);
    if (!names.is_ok()) continue;
    for (const auto& n : *names)
      if (is_rc_link(n, service)) ROUX_TRY(h.remove(dir + "/" + n));
  }
  return Status::ok();
}

}  // namespace

Status model_apt_transaction(host::Host& h, const std::vector<TransactionEntry>& tx) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo sfi, h.lstat(kStatus));
  ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(kStatus, 256 << 20));
  StatusFile db;
  db.parse(text);
  TempDir tmp;
  if (tmp.path().empty()) return Status::io("mkdtemp for the package plan", errno);
  struct Services {
    std::string name;
    bool enable = false, start = false, stop = false;
  };
  std::vector<Services> services;
  for (const auto& e : tx) {
    std::vector<std::string>* s = db.find(e.name);
    if (e.op == "remove" || e.op == "purge") {
      if (!s) continue;
      std::set<std::string> conf = StatusFile::conffiles(*s);
      std::string list_name = StatusFile::field(*s, "Package");
      auto list = h.read_file("/var/lib/dpkg/info/" + list_name + ".list", 64 << 20);
      if (!list.is_ok()) list = h.read_file("/var/lib/dpkg/info/" + list_name + ":" + StatusFile::field(*s, "Architecture") + ".list", 64 << 20);
      std::vector<std::string> paths = list.is_ok() ? split_lines(*list) : std::vector<std::string>{};
      for (const auto& svc : shipped_services(paths)) {
        services.push_back({svc, false, false, true});
        if (e.op == "purge") {
          auto postrm = h.read_file("/var/lib/dpkg/info/" + list_name + ".postrm", 1 << 20);
          if (postrm.is_ok() && postrm->find("update-rc.d") != std::string::npos) ROUX_TRY(remove_rc_links(h, svc));
        }
      }
      for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
        if (it->empty() || (e.op == "remove" && conf.count(*it))) continue;
        auto fi = h.lstat(*it);
        if (!fi.is_ok() || !fi->exists()) continue;
        if (fi->type == host::FileType::kDirectory) {
          auto names = h.list_dir(*it);
          if (names.is_ok() && names->empty()) (void)h.remove(*it);  // shared folders stay
        } else {
          ROUX_TRY(h.remove(*it));
        }
      }
      if (e.op == "purge" || conf.empty()) db.erase(s);
      else StatusFile::set_field(*s, "Status", "deinstall ok config-files");
      continue;
    }
    // install, upgrade, reinstall
    auto fetched = fetch(h, tmp, e);
    if (fetched.is_ok()) {
      ROUX_TRY(lay_out(h, *fetched, s ? StatusFile::conffiles(*s) : std::set<std::string>{}));
      std::vector<std::string> paths;
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(fetched->tree, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        paths.push_back("/" + fs::relative(it->path(), fetched->tree, ec).string());
      for (const auto& svc : shipped_services(paths)) {
        const std::string& pi = fetched->postinst;
        // update-rc.d defaults / deb-systemd-helper enable only a service with no boot state yet
        // (an admin's disable survives an upgrade or a reinstall); invoke-rc.d and
        // deb-systemd-invoke start or restart only a service enabled in the running runlevel.
        bool enables = (pi.find("update-rc.d") != std::string::npos || pi.find("deb-systemd-helper") != std::string::npos) &&
                       !has_boot_state(h, svc);
        bool starts = pi.find("invoke-rc.d") != std::string::npos || pi.find("deb-systemd-invoke") != std::string::npos;
        services.push_back({svc, enables, starts && (enables || enabled_now(h, svc)) && policy_allows_start(h, svc), false});
      }
    }
    std::vector<std::string> stanza;
    if (fetched.is_ok() && !fetched->control.empty()) {
      for (auto& l : split_lines(fetched->control))
        if (!l.empty()) stanza.push_back(l);
    } else {
      stanza = {"Package: " + e.name.substr(0, e.name.find(':')), "Version: " + e.to};
    }
    bool held = s && starts_with(StatusFile::field(*s, "Status"), "hold");
    StatusFile::set_field(stanza, "Status", std::string(held ? "hold" : "install") + " ok installed");
    if (fetched.is_ok() && !fetched->conffiles.empty()) {
      stanza.push_back("Conffiles:");
      for (const auto& c : fetched->conffiles) stanza.push_back(" " + c + " 0");
    }
    if (s) *s = std::move(stanza);
    else db.stanzas.push_back(std::move(stanza));
  }
  ROUX_TRY(h.write_file(kStatus, db.text(), sfi.mode, sfi.uid, sfi.gid));
  for (const auto& s : services) {
    if (s.stop) h.set_service_running(s.name, false);
    if (s.enable) h.set_service_enabled(s.name, true);
    if (s.start) h.set_service_running(s.name, true);
  }
  return Status::ok();
}

Status model_apt_hold(host::Host& h, const std::vector<std::string>& names, bool hold) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo sfi, h.lstat(kStatus));
  ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(kStatus, 256 << 20));
  StatusFile db;
  db.parse(text);
  for (const auto& n : names) {
    auto* s = db.find(n);
    if (!s) return Status::command_failed("apt-mark exited 100: E: Unable to locate package " + n);
    auto parts = split(StatusFile::field(*s, "Status"), ' ');
    if (parts.size() != 3) continue;
    parts[0] = hold ? "hold" : "install";
    StatusFile::set_field(*s, "Status", join(parts, " "));
  }
  return h.write_file(kStatus, db.text(), sfi.mode, sfi.uid, sfi.gid);
}

}  // namespace roux::resources
