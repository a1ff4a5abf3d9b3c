//! The app's npm packages: `functions/node_modules` as `npm install` in `functions/` leaves it,
//! or the archive exports carry (`archive.rs`). Functions `require` them at run time; loading
//! only finds the directory (unpacking an archive) and checks that every dependency
//! `functions/package.json` declares is installed: one a function requires by name is a
//! problem; one none does is a warning (exports often declare packages no function uses, and
//! App Services installed them all).

use std::collections::BTreeMap;

use serde::Deserialize;

use engine::FunctionSpec;

use super::Loader;

/// The declared dependencies that are not installed and that no function requires by name
/// (`writ check` warns about them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Uninstalled(pub Vec<String>);

#[derive(Deserialize, Default)]
struct PackageJson {
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

impl Loader<'_> {
    /// The canonical `functions/node_modules` directory, if there is one, and the declared
    /// dependencies that are not installed and no function requires (a problem for those that
    /// one does).
    pub(crate) fn modules_root(
        &mut self,
        specs: &BTreeMap<String, FunctionSpec>,
    ) -> (Option<String>, Uninstalled) {
        let mut uninstalled = Uninstalled::default();
        let functions = self.root.join("functions");
        let mut modules = functions.join("node_modules");
        if !modules.is_dir()
            && let Some(archive) = super::archive::NAMES
                .iter()
                .map(|n| functions.join(n))
                .find(|p| p.is_file())
        {
            match super::archive::unpack(&archive) {
                Ok(dir) => modules = dir,
                Err(e) => {
                    self.problem(&archive, None, format!("cannot unpack node_modules: {e}"));
                    return (None, uninstalled);
                }
            }
        }
        let manifest = functions.join("package.json");
        if manifest.is_file() {
            let declared: PackageJson = self.json(&manifest).unwrap_or_default();
            // What the functions require by name (a package, or a file of one: `lodash/fp`).
            let required: Vec<String> = specs
                .values()
                .flat_map(|f| crate::warnings::required_modules(&f.source))
                .collect();
            let (missing, unused): (Vec<&String>, Vec<&String>) = declared
                .dependencies
                .keys()
                .filter(|name| !modules.join(name).join("package.json").is_file())
                .partition(|name| {
                    required.iter().any(|m| {
                        m == *name
                            || m.strip_prefix(name.as_str())
                                .is_some_and(|rest| rest.starts_with('/'))
                    })
                });
            uninstalled.0 = unused.into_iter().cloned().collect();
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
        let canonical = modules.canonicalize().ok().filter(|p| p.is_dir());
        (canonical.map(|c| c.to_string_lossy().into_owned()), uninstalled)
    }
}
