// The client config's `handlers:` list -> report::HandlerConfig.
#include "base/strings.h"
#include "base/redact.h"
#include "cli/client_config.h"

namespace roux::cli {

Status parse_handler_configs(const engine::Value& list, std::vector<report::HandlerConfig>* out) {
  using engine::Value;
  if (list.kind == Value::Kind::kNull) return Status::ok();
  if (list.kind != Value::Kind::kList)
    return Status::invalid_input("client config: handlers: expected a list of {type: ...} maps", list.where);
  for (const auto& item : list.list) {
    if (item.kind != Value::Kind::kMap)
      return Status::invalid_input("client config: handlers: expected a map such as {type: history}", item.where);
    std::vector<Status> errors;
    engine::Props p(item, "handlers", &errors);
    p.set_schema(engine::embedded_object_schema("client.schema.json", "/$defs/handler"));
    report::HandlerConfig h;
    h.where = item.where;
    h.type = p.one_of("type", report::handler_types()).value_or("");
    if (!p.has("type")) p.error("missing required property \"type\"");
    h.path = p.string("path").value_or("");
    h.url = p.string("url").value_or("");
    h.summary = p.boolean("summary").value_or(false);
    h.timeout_ms = static_cast<int>(p.integer("timeout", 1, 300).value_or(5) * 1000);
    h.retries = static_cast<int>(p.integer("retries", 0, 10).value_or(2));
    h.max_bytes = static_cast<uint64_t>(p.integer("max_bytes", 1024, int64_t{1} << 40).value_or(1 << 20));
    h.keep_reports = static_cast<int>(p.integer("keep_reports", 0, 100000).value_or(50));
    h.ident = p.string("ident").value_or("roux");
    h.address = p.string("address").value_or("");
    h.prefix = p.string("prefix").value_or("roux");
    if (h.type == "statsd") h.format = p.one_of("format", {"dogstatsd", "statsd"}).value_or("dogstatsd");
    else if (h.type == "events") h.format = p.one_of("format", {"datadog", "grafana", "graphite"}).value_or("datadog");
    else if (p.has("format")) p.error("format", "only for statsd and events handlers");
    if (auto tags = p.string_map("tags")) h.tags.assign(tags->begin(), tags->end());
    h.key_file = p.string("key_file").value_or("");
    h.on = p.one_of("on", {"changes", "always"}).value_or("changes");
    if (h.type == "statsd") {
      if (h.address.empty() == h.path.empty()) p.error("a statsd handler needs one of address (IP[:port], UDP) or path (a unix datagram socket)");
      else if (!h.address.empty()) {
        auto hp = report::parse_host_port(h.address, 8125);
        if (!hp.is_ok()) p.error("address", hp.status().message());
      }
    }
    if (h.type == "events") {
      if (h.url.rfind("http://", 0) != 0 && h.url.rfind("https://", 0) != 0)
        p.error("url", "an events handler needs an http:// or https:// url");
      if (redact::url_password(h.url) != "" )
        p.error("url", "credentials in the url would be logged: put the key in key_file");
    }
    if ((h.type == "json_file" || h.type == "prometheus") && h.path.empty())
      p.error("path", "required for a " + h.type + " handler");
    if (h.type == "webhook" && h.url.rfind("http://", 0) != 0 && h.url.rfind("https://", 0) != 0)
      p.error("url", "a webhook needs an http:// or https:// url");
    p.finish("handler");
    if (!errors.empty()) return errors.front().with_context("client config");
    out->push_back(std::move(h));
  }
  return Status::ok();
}

}  // namespace roux::cli
