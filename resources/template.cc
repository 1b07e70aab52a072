// template: a file whose content is a mustache template from the cookbook's templates/,
// rendered with attributes, facts and the resource's own `variables`.
#include "resources/builtin.h"

#include "resources/file.h"

namespace roux::resources {

engine::ResourceType template_type() {
  return {"template", "a file rendered from a mustache template in templates/",
          [](const std::string& name, engine::Props& props, const engine::BuildContext& build)
              -> std::unique_ptr<engine::Resource> {
            auto r = make_file_base("template", name, props);
            std::string source = props.required_string("source");
            const engine::Value* vars = props.data("variables");
            if (vars && vars->kind != engine::Value::Kind::kMap && vars->kind != engine::Value::Kind::kNull)
              props.error("variables", "expected a map");
            if (!r || source.empty()) return r;
            auto rendered = build.render_template(source, vars);
            if (!rendered.is_ok()) {
              props.error("source", rendered.status().message());
              return r;
            }
            r->content = std::move(rendered->text);
            // A template that used a secret is sensitive as a whole.
            if (rendered->sensitive || props.saw_sensitive()) r->meta().sensitive = true;
            return r;
          }};
}

}  // namespace roux::resources
