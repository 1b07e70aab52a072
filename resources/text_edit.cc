#include "resources/text_edit.h"

#include "libs/diff.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace roux::resources {

std::vector<TextLine> split_text_lines(std::string_view content) {
  std::vector<TextLine> out;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    TextLine l;
    if (nl == std::string_view::npos) {
      l.text = std::string(content.substr(pos));
      pos = content.size();
    } else {
      l.text = std::string(content.substr(pos, nl - pos));
      l.eol = "\n";
      pos = nl + 1;
      if (!l.text.empty() && l.text.back() == '\r') {
        l.text.pop_back();
        l.eol = "\r\n";
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::string join_text_lines(const std::vector<TextLine>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.text + l.eol;
  return out;
}

void append_text_line(std::vector<TextLine>& lines, std::string text) {
  if (!lines.empty() && lines.back().eol.empty()) lines.back().eol = "\n";
  lines.push_back({std::move(text), "\n"});
}

namespace {
std::string digest(std::string_view data) {
  return "sha256:" + sha256_hex(data).substr(0, 12) + " (" + std::to_string(data.size()) + " bytes)";
}
}  // namespace

Status converge_edited_file(engine::ConvergeContext& ctx, const std::string& path, std::string_view what,
                            bool missing_ok, const std::function<Result<std::string>(const std::string&)>& edit) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
  ROUX_TRY(ctx.remove_stale_temp(path));
  if (!live.exists()) {
    if (missing_ok) return Status::ok();
    return Status::not_found(path + " does not exist (" + std::string(what) +
                             " edits an existing file; create it with a file resource)");
  }
  if (live.type != host::FileType::kFile)
    return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file");
  if (live.size > kMaxEditedFileBytes)
    return Status::invalid_input(path + " is " + std::to_string(live.size) + " bytes; " + std::string(what) +
                                 " edits files up to 1 MiB");
  ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(path, kMaxEditedFileBytes));
  ROUX_ASSIGN_OR_RETURN(std::string want, edit(have));
  if (want == have) return Status::ok();
  std::string diff = looks_binary(have) ? std::string("(binary content differs)\n") : unified_diff(have, want, path);
  return ctx.change({"content", digest(have), digest(want), diff}, [&](host::Host& h) {
    return h.write_file(path, want, live.mode & 07777, live.uid, live.gid);
  });
}

std::vector<std::string> edited_file_deps(const std::string& path) {
  std::vector<std::string> out = engine::ancestor_dir_ids(path);
  out.push_back("file[" + path + "]");
  out.push_back("template[" + path + "]");
  return out;
}

}  // namespace roux::resources
