//! Handlebars, set up once: strict (a missing value is an error, never an empty string),
//! no HTML escaping (we write zone files, Postfix configs and terminal text), embedded
//! templates first and the user's `--templates DIR` over them.

mod helpers;

use handlebars::Handlebars;
use serde::Serialize;

use crate::assets::{AssetError, Assets, Kind};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot render {name}: {message}")]
    Render { name: String, message: String },
}

pub struct Renderer {
    registry: Handlebars<'static>,
}

impl Renderer {
    /// Register every template under `templates/` (by path without the `.hbs` suffix).
    pub fn new(assets: &Assets, color: bool) -> Result<Self, RenderError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry, color);
        for (path, text) in assets.files(Kind::Templates, "")? {
            let Some(name) = path.strip_suffix(".hbs") else {
                continue;
            };
            registry
                .register_template_string(name, text)
                .map_err(|e| RenderError::Template {
                    name: path.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(Renderer { registry })
    }

    /// Render a registered template, e.g. "report/text".
    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String, RenderError> {
        self.registry
            .render(name, data)
            .map_err(|e| RenderError::Render {
                name: name.into(),
                message: e.to_string(),
            })
    }

    /// Render a template held in a string (playbook text), naming it `origin` in errors.
    pub fn render_str<T: Serialize>(
        &self,
        origin: &str,
        template: &str,
        data: &T,
    ) -> Result<String, RenderError> {
        self.registry
            .render_template(template, data)
            .map_err(|e| RenderError::Render {
                name: origin.into(),
                message: e.to_string(),
            })
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.registry.has_template(name)
    }
}
