//! The app's npm packages: `functions/node_modules` as `npm install` in `functions/` leaves it.
//! Functions `require` them at run time; loading only finds the directory and checks that every
//! dependency `functions/package.json` declares is installed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Loader;

#[derive(Deserialize, Default)]
struct PackageJson {
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

impl Loader<'_> {
    /// The canonical `functions/node_modules` directory, if there is one; a problem for each
    /// declared dependency that is not installed.
    pub(crate) fn modules_root(&mut self) -> Option<String> {
        let functions = self.root.join("functions");
        let modules = functions.join("node_modules");
        let manifest = functions.join("package.json");
        if manifest.is_file() {
            let declared: PackageJson = self.json(&manifest).unwrap_or_default();
            let missing: Vec<&String> = declared
                .dependencies
                .keys()
                .filter(|name| !modules.join(name).join("package.json").is_file())
                .collect();
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                self.problem(
                    &manifest,
                    None,
                    format!(
                        "dependencies not installed: {}; run `npm install` in functions/",
                        names.join(", ")
                    ),
                );
            }
        }
        let canonical = modules.canonicalize().ok().filter(|p| p.is_dir())?;
        Some(canonical.to_string_lossy().into_owned())
    }
}
