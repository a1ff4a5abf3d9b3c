//! Static hosting (`hosting/`): the files App Services served at the app's own domain, which
//! `writ serve` serves at its root (every `GET` or `HEAD` no API route takes).
//!
//! `hosting/config.json` turns it on (`enabled`) and names what a path without a file gets
//! (`default_error_path` with `default_response_code`: a single-page app's `/index.html` with
//! 200, or a 404 page); `hosting/metadata.json` sets headers of single files (`attrs`:
//! `Content-Type`, `Cache-Control`, ...); `hosting/files/` holds the files.

use std::{collections::HashMap, path::PathBuf};

use serde::Deserialize;

use crate::Loader;

/// An app's static hosting, when enabled.
#[derive(Debug, Clone)]
pub struct Hosting {
    /// `hosting/files`: what is served; canonical (links followed) when it exists, so the
    /// server compares each served file's canonical path with it as is.
    pub root: PathBuf,
    /// The file served, with this status, for a path no file has.
    pub not_found: Option<(String, u16)>,
    /// Headers by file path (`/index.html`), from `metadata.json`.
    pub headers: HashMap<String, Vec<(String, String)>>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    enabled: bool,
    default_error_path: Option<String>,
    default_response_code: Option<u16>,
}

#[derive(Deserialize)]
struct FileMetadata {
    path: String,
    #[serde(default)]
    attrs: Vec<Attribute>,
}

#[derive(Deserialize)]
struct Attribute {
    name: String,
    value: String,
}

/// The file metadata App Services let an app set.
const ATTRIBUTES: [&str; 5] = [
    "Content-Type",
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
];

impl Loader<'_> {
    /// Reads `hosting/`; `None` when hosting is not enabled.
    pub(crate) fn hosting(&mut self) -> Option<Hosting> {
        let dir = self.root.join("hosting");
        let config_path = dir.join("config.json");
        if !config_path.is_file() {
            return None;
        }
        let config: Config = self.json(&config_path)?;
        if !config.enabled {
            return None;
        }
        let not_found = match (config.default_error_path, config.default_response_code) {
            (None, _) => None,
            (Some(path), _) if !path.starts_with('/') => {
                self.problem(&config_path, None, "default_error_path must start with '/'");
                None
            }
            (Some(path), code) => {
                let code = code.unwrap_or(404);
                if !(200..=599).contains(&code) {
                    self.problem(&config_path, None, "default_response_code must be an HTTP status");
                }
                Some((path, code))
            }
        };
        let mut headers = HashMap::new();
        let metadata_path = dir.join("metadata.json");
        if metadata_path.is_file()
            && let Some(files) = self.json::<Vec<FileMetadata>>(&metadata_path)
        {
            for file in files {
                let mut attrs = Vec::new();
                for a in file.attrs {
                    let Some(name) = ATTRIBUTES.iter().find(|n| n.eq_ignore_ascii_case(&a.name)) else {
                        let message = format!(
                            "{}: '{}' is not a file attribute App Services sets",
                            file.path, a.name
                        );
                        self.problem(&metadata_path, None, message);
                        continue;
                    };
                    if !a.value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
                        let message = format!("{}: the value of {name} must be printable ASCII", file.path);
                        self.problem(&metadata_path, None, message);
                        continue;
                    }
                    attrs.push((name.to_string(), a.value));
                }
                headers.insert(file.path, attrs);
            }
        }
        Some(Hosting {
            root: std::fs::canonicalize(dir.join("files")).unwrap_or_else(|_| dir.join("files")),
            not_found,
            headers,
        })
    }
}
