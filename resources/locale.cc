// locale: the system's locale (`locale: system`, one per host). Two files and one command:
//  - /etc/default/locale, owned whole by roux: "LANG=NAME" and one "VAR=VALUE" line per `lc`
//    entry (glibc's LC_* categories, LC_ALL, LANGUAGE), written atomically; read by pam_env
//    and systemd at the next login or boot (a running daemon keeps its environment: notify it);
//  - /etc/locale.gen: every locale named (lang, the lc values, `generate`) enabled: its commented
//    "# NAME CHARSET" line uncommented, or "NAME CHARSET" (the form of
//    /usr/share/i18n/SUPPORTED) added; every other line kept;
//  - locale-gen, run through the host door when /etc/locale.gen changed or a named locale is
//    missing from `locale -a` (a read-only check). A plan does not run it: its change is marked
//    predicted.
// A name that /usr/share/i18n/SUPPORTED (in the managed root) does not list fails the resource
// before anything is written. Under --root, `locale -a` and locale-gen would act on the running
// machine, not the tree: only the files are managed, and the output says so.
#include "resources/locale.h"

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/host_command.h"

namespace roux::resources {

namespace {

bool all_of_chars(std::string_view s, std::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}
constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kUpperDigit = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// LANGUAGE[_TERRITORY] of a locale name.
bool is_language_territory(std::string_view s) {
  std::string_view lang = s.substr(0, s.find('_'));
  if (lang.size() < 2 || lang.size() > 3 || !all_of_chars(lang, kLower)) return false;
  if (lang.size() == s.size()) return true;
  std::string_view terr = s.substr(lang.size() + 1);
  return terr.size() >= 2 && terr.size() <= 3 && all_of_chars(terr, kUpperDigit);
}

}  // namespace

bool is_builtin_locale(std::string_view name) {
  return name == "C" || name == "POSIX" || name == "C.UTF-8" || name == "C.utf8";
}

bool is_valid_locale_name(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  if (is_builtin_locale(name)) return true;
  std::string_view rest = name;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view mod = rest.substr(at + 1);
    if (!all_of_chars(mod, "abcdefghijklmnopqrstuvwxyz0123456789")) return false;
    rest = rest.substr(0, at);
  }
  if (size_t dot = rest.find('.'); dot != std::string_view::npos) {
    std::string_view cs = rest.substr(dot + 1);
    if (!all_of_chars(cs, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") || cs.front() == '-')
      return false;
    rest = rest.substr(0, dot);
  }
  return is_language_territory(rest);
}

bool is_valid_language_list(std::string_view value) {
  if (value.empty() || value.size() > 200) return false;
  for (const auto& part : split(value, ':'))
    if (!is_language_territory(part) && part != "C") return false;
  return true;
}

const std::vector<std::string>& locale_variables() {
  static const std::vector<std::string> vars = {
      "LANGUAGE",    "LC_CTYPE", "LC_NUMERIC", "LC_TIME",      "LC_COLLATE",     "LC_MONETARY",       "LC_MESSAGES",
      "LC_PAPER",    "LC_NAME",  "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION", "LC_ALL"};
  return vars;
}

std::string normalized_locale_name(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return std::string(name);
  size_t at = name.find('@', dot);
  std::string_view cs = name.substr(dot + 1, at == std::string_view::npos ? std::string_view::npos : at - dot - 1);
  std::string out(name.substr(0, dot + 1));
  for (char c : cs)
    if (c != '-' && c != '_') out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (at != std::string_view::npos) out += name.substr(at);
  return out;
}

namespace {

/// The whitespace-separated words of a line.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::string supported_charset(std::string_view supported, std::string_view name) {
  for (const auto& line : split_lines(supported)) {
    std::vector<std::string> w = words(line);
    if (w.size() >= 2 && w[0] == name) return w[1];
  }
  return "";
}

std::string locale_gen_with(std::string_view text, const std::vector<std::pair<std::string, std::string>>& wanted) {
  std::vector<std::string> lines = split_lines(text);
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
  for (const auto& [name, charset] : wanted) {
    bool enabled = false;
    for (const auto& l : lines) {
      std::vector<std::string> w = words(l);
      if (!w.empty() && w[0] == name) enabled = true;
    }
    if (enabled) continue;
    bool placed = false;
    for (auto& l : lines) {
      std::string_view t = trim(l);
      if (!starts_with(t, "#")) continue;
      std::vector<std::string> w = words(t.substr(1));
      if (w.size() == 2 && w[0] == name && w[1] == charset) {
        l = name + " " + charset;
        placed = true;
        break;
      }
    }
    if (!placed) lines.push_back(name + " " + charset);
  }
  return lines.empty() ? "" : join(lines, "\n") + "\n";
}

namespace {

constexpr const char* kDefault = "/etc/default/locale";
constexpr const char* kLocaleGen = "/etc/locale.gen";
constexpr const char* kSupported = "/usr/share/i18n/SUPPORTED";

class LocaleResource : public engine::Resource {
 public:
  explicit LocaleResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "locale"; }

  std::string lang;
  std::map<std::string, std::string> lc;
  std::vector<std::string> generate;

  /// Every locale that must be available, in order, once each (LANGUAGE holds languages, not
  /// locales; the built-in ones need no generation).
  std::vector<std::string> needed() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& n) {
      if (!is_builtin_locale(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    };
    add(lang);
    for (const auto& [k, v] : lc)
      if (k != "LANGUAGE") add(v);
    for (const auto& g : generate) add(g);
    return out;
  }

  std::string default_text() const {
    std::string out = "LANG=" + lang + "\n";
    for (const auto& var : locale_variables())
      if (auto it = lc.find(var); it != lc.end()) out += var + "=" + it->second + "\n";
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    const host::Host& host = ctx.host();
    const std::vector<std::string> names = needed();
    std::vector<std::pair<std::string, std::string>> wanted;
    if (!names.empty()) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo sfi, host.lstat(kSupported));
      if (sfi.type != host::FileType::kFile)
        return Status::not_found(std::string(kSupported) + " is missing; is the locales package installed?");
      ROUX_ASSIGN_OR_RETURN(std::string supported, host.read_file(kSupported, 1 << 20));
      for (const auto& n : names) {
        std::string cs = supported_charset(supported, n);
        if (cs.empty())
          return Status::not_found("locale " + n + " is not in " + kSupported +
                                   " (the names locale-gen can build; en_US.UTF-8, not en_US.utf8)");
        wanted.emplace_back(n, cs);
      }
    }
    bool gen_changed = false;
    if (!wanted.empty()) {
      ROUX_ASSIGN_OR_RETURN(gen_changed, own_file(ctx, kLocaleGen, "locale_gen", [&](const std::string& have) {
                              return locale_gen_with(have, wanted);
                            }, join(names, ", ")));
    }
    if (!names.empty()) {
      if (host.root() != "/") {
        ctx.add_output("locale: locale-gen is not run under --root " + host.root() +
                       " (it would build the running machine's locales, not the tree's); run it in the tree "
                       "(chroot, or at its first boot) to build " + join(names, ", ") + "\n");
      } else {
        ROUX_TRY(generate_missing(ctx, names, gen_changed));
      }
    }
    ROUX_TRY(own_file(ctx, kDefault, "default", [&](const std::string&) { return default_text(); }).status());
    return Status::ok();
  }

 private:
  /// Runs locale-gen when /etc/locale.gen changed or a name is missing from `locale -a`.
  Status generate_missing(engine::ConvergeContext& ctx, const std::vector<std::string>& names, bool gen_changed) {
    SubprocessOptions o;
    o.argv = {"locale", "-a"};
    o.timeout = std::chrono::seconds(60);
    o.env["LC_ALL"] = "C";
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, ctx.host().run_check(o));
    if (r.exit_code != 0)
      return Status::command_failed("locale -a failed (exit " + std::to_string(r.exit_code) + "): " +
                                    one_line(trim(r.output), 400));
    std::vector<std::string> have;
    for (const auto& l : split_lines(r.output)) have.push_back(normalized_locale_name(trim(l)));
    std::vector<std::string> missing;
    for (const auto& n : names)
      if (std::find(have.begin(), have.end(), normalized_locale_name(n)) == have.end()) missing.push_back(n);
    if (missing.empty() && !gen_changed) return Status::ok();
    std::string before = missing.empty() ? "locale.gen changed" : "missing " + join(missing, ", ");
    return ctx.change({.property = "generated", .before = before, .after = join(names, ", "), .is_public = true},
                      [&](host::Host& h) {
                        return run_host_command(ctx, h, {"locale-gen"}, host::Host::Model(), std::chrono::minutes(20));
                      });
  }

  /// `path` holds `want(current text)`: a missing file is made 0644 root:root (its folder too);
  /// an existing one keeps its mode and owner. Returns whether it changed.
  Result<bool> own_file(engine::ConvergeContext& ctx, const std::string& path, const std::string& property,
                        const std::function<std::string(const std::string&)>& want, const std::string& enabled = "") {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file");
    ROUX_TRY(ctx.remove_stale_temp(path));
    std::string have;
    if (live.exists()) {
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(path, 1 << 20));
    }
    std::string text = want(have);
    if (live.exists() && have == text) return false;
    uint32_t mode = live.exists() ? live.mode & 07777 : 0644;
    std::optional<uid_t> uid = live.exists() ? live.uid : 0;
    std::optional<gid_t> gid = live.exists() ? live.gid : 0;
    // /etc/default/locale is shown whole on one line; /etc/locale.gen by its diff alone.
    auto shown = [&](const std::string& t) { return property == "default" ? one_line(join(split_lines(trim(t)), " "), 200) : ""; };
    ROUX_TRY(ctx.change({.property = property,
                         .before = live.exists() ? shown(have) : "absent",
                         .after = property == "default" ? shown(text) : "enabled " + enabled,
                         .diff = unified_diff(have, text, path),
                         .is_public = true},
                        [&](host::Host& h) -> Status {
                          if (!live.exists()) ROUX_TRY(host::make_dirs(h, parent_dir(path), 0755));
                          return h.write_file(path, text, mode, uid, gid);
                        }));
    return true;
  }

  static std::string parent_dir(const std::string& path) { return path.substr(0, path.rfind('/')); }
};

}  // namespace

engine::ResourceType locale_type() {
  return {"locale",
          "the system locale: /etc/default/locale (LANG, LC_*), the named locales enabled in /etc/locale.gen and "
          "built by locale-gen",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (name != "system")
              props.error("the locale resource is named system (locale: system), one per host; not \"" + one_line(name) + "\"");
            auto r = std::make_unique<LocaleResource>(name);
            r->lang = props.required_string("lang");
            if (props.has("lang") && !is_valid_locale_name(r->lang))
              props.error("lang", "\"" + one_line(r->lang) +
                                      "\" is not a locale name such as en_US.UTF-8, de_DE@euro, C.UTF-8, C or POSIX");
            if (auto m = props.string_map("lc")) {
              for (const auto& [k, v] : *m) {
                const auto& vars = locale_variables();
                if (std::find(vars.begin(), vars.end(), k) == vars.end()) {
                  std::string near = closest_match(k, vars);
                  props.error("lc", "\"" + one_line(k) + "\" is not a locale variable (LC_CTYPE, LC_NUMERIC, LC_TIME, "
                                    "LC_COLLATE, LC_MONETARY, LC_MESSAGES, LC_PAPER, LC_NAME, LC_ADDRESS, LC_TELEPHONE, "
                                    "LC_MEASUREMENT, LC_IDENTIFICATION, LC_ALL, LANGUAGE)" +
                                    (near.empty() ? "" : "; did you mean " + near + "?"));
                } else if (k == "LANGUAGE" ? !is_valid_language_list(v) : !is_valid_locale_name(v)) {
                  props.error("lc", k + ": \"" + one_line(v) + "\" is not " +
                                        (k == "LANGUAGE" ? "a list of languages such as en_GB:en"
                                                         : "a locale name such as en_GB.UTF-8"));
                }
              }
              r->lc = *m;
            }
            if (auto g = props.string_list("generate")) {
              for (const auto& n : *g)
                if (!is_valid_locale_name(n))
                  props.error("generate", "\"" + one_line(n) + "\" is not a locale name such as de_DE.UTF-8");
              r->generate = *g;
            }
            return r;
          }};
}

}  // namespace roux::resources
