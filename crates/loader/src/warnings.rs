//! `writ check`'s warnings: function code that uses an API writ does not offer, by file and
//! line, so a port from App Services knows what will throw before a call finds it. A scan of
//! the source text, not an analysis: it names what it sees (`require('fs')`, `createCipheriv`,
//! `.watch(`, ...) and can neither see through indirection nor know a branch never runs.

use std::fmt;

use engine::{Deployment, NEVER_MODULES, NOT_YET_MODULES};

/// One use of a missing API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiWarning {
    /// The function file, relative to the app directory.
    pub file: String,
    /// The 1-based line.
    pub line: u32,
    /// What is missing, and what happens when the code runs.
    pub message: String,
}

impl fmt::Display for ApiWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Text that names an API writ does not offer, and what to tell the user.
const MISSING: [(&str, &str); 7] = [
    (
        ".watch(",
        "collection.watch() (change streams) is not supported by writ yet",
    ),
    (
        "authUrl",
        "context.http's authUrl is not supported by writ (App Services never documented what it did)",
    ),
    (
        "publicEncrypt",
        "crypto.publicEncrypt is not supported by writ yet",
    ),
    (
        "privateDecrypt",
        "crypto.privateDecrypt is not supported by writ yet",
    ),
    (
        "subtle.",
        "crypto.subtle on writ offers digest and HMAC keys only (importKey raw, sign, verify, exportKey)",
    ),
    (
        "Intl.",
        "Intl is not available on writ (its engine is built without locale data)",
    ),
    ("new WebSocket(", "WebSocket is not available on writ"),
];

/// The module names `require` calls on `line` name (string literals only).
fn required(line: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("require(") {
        let after = rest[at + "require(".len()..].trim_start();
        let quote = after.chars().next();
        if let Some(q @ ('"' | '\'' | '`')) = quote
            && let Some(end) = after[1..].find(q)
        {
            names.push(&after[1..1 + end]);
        }
        rest = &rest[at + "require(".len()..];
    }
    names
}

/// Each line of `source` that is not a comment, numbered from 0, with the imports that open
/// the file as `require` calls on the same lines.
fn code_lines(source: &str, mut each: impl FnMut(usize, &str)) {
    let rewritten = engine::source::imports_as_requires(source);
    let source = rewritten.as_deref().unwrap_or(source);
    for (i, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if !(code.starts_with("//") || code.starts_with('*') || code.starts_with("/*")) {
            each(i, line);
        }
    }
}

/// The module names `source` requires (or imports) by a literal name, outside comments.
pub(crate) fn required_modules(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    code_lines(source, |_, line| {
        names.extend(required(line).into_iter().map(String::from))
    });
    names
}

fn scan(file: &str, source: &str, out: &mut Vec<ApiWarning>) {
    code_lines(source, |i, line| {
        let mut warn = |message: String| {
            out.push(ApiWarning {
                file: file.to_string(),
                line: i as u32 + 1,
                message,
            })
        };
        for name in required(line) {
            let bare = name.strip_prefix("node:").unwrap_or(name);
            if NEVER_MODULES.contains(&bare) {
                warn(format!(
                    "require('{name}'): Node's '{bare}' module is not available to functions (App Services did not offer it either); it loads, and using any of it throws"
                ));
            } else if NOT_YET_MODULES.contains(&bare) {
                warn(format!(
                    "require('{name}'): writ does not support Node's '{bare}' module yet; it loads, and using any of it throws"
                ));
            }
        }
        for (needle, message) in MISSING {
            if line.contains(needle) {
                warn(message.to_string());
            }
        }
    });
}

/// The app's third-party services (`services/<name>/config.json`: HTTP, Twilio, AWS, ...), by
/// name and type: App Services ran their actions for functions; writ runs an HTTP service's
/// (with its rules) and serves its incoming webhooks, and runs no other kind's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThirdPartyServices(pub Vec<(String, String)>);

/// The warnings for every function of `deployment`, by file and line, and for each auth
/// provider that cannot log anyone in.
pub fn api_warnings(deployment: &Deployment) -> Vec<ApiWarning> {
    let mut out = Vec::new();
    if let Some(auth) = deployment.extensions.get::<crate::AuthConfig>() {
        for p in auth.providers.values().filter(|p| !p.disabled) {
            if let Some(why) = &p.unusable {
                out.push(ApiWarning {
                    file: "auth/providers.json".into(),
                    line: 1,
                    message: format!("the provider '{}' cannot log anyone in: {why}", p.name),
                });
            }
        }
    }
    if let Some(crate::packages::Uninstalled(names)) = deployment.extensions.get()
        && !names.is_empty()
    {
        out.push(ApiWarning {
            file: "functions/package.json".into(),
            line: 1,
            message: format!(
                "dependencies not installed: {}; no function requires them by name, and a require of one throws: run `npm install` in functions/",
                names.join(", ")
            ),
        });
    }
    let services = deployment.extensions.get::<ThirdPartyServices>();
    for spec in deployment.functions.values() {
        scan(&spec.path, &spec.source, &mut out);
        if let Some(services) = services {
            scan_services(&spec.path, &spec.source, services, &mut out);
        }
    }
    out
}

/// `context.services.get("<a third-party service>")` of a kind writ does not run (HTTP ones
/// it runs): it returns undefined on writ.
fn scan_services(file: &str, source: &str, services: &ThirdPartyServices, out: &mut Vec<ApiWarning>) {
    for (i, line) in source.lines().enumerate() {
        for (name, kind) in services.0.iter().filter(|(_, kind)| kind != "http") {
            let named = ['"', '\'', '`']
                .iter()
                .any(|q| line.contains(&format!("services.get({q}{name}{q})")));
            if named {
                out.push(ApiWarning {
                    file: file.to_string(),
                    line: i as u32 + 1,
                    message: format!(
                        "context.services.get('{name}'): the third-party {kind} service '{name}' is not run by writ (App Services deprecated third-party services); it returns undefined"
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_third_party_services_a_function_gets() {
        let services = ThirdPartyServices(vec![
            ("sparkpost".into(), "http".into()),
            ("sms".into(), "twilio".into()),
        ]);
        let source = "const http = context.services.get('sparkpost');\nconst db = context.services.get(\"mongodb-atlas\");\n\
                      const t = context.services.get(\"sms\");\n";
        let mut out = Vec::new();
        scan_services("functions/f.js", source, &services, &mut out);
        let lines: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "functions/f.js:3: context.services.get('sms'): the third-party twilio service 'sms' is not run by writ (App Services deprecated third-party services); it returns undefined",
            ]
        );
    }

    #[test]
    fn names_missing_modules_and_apis_by_line() {
        let source = "const fs = require('async_hooks');\nconst cp = require(\"node:child_process\");\n\
                      // require('vm') in a comment\nconst c = crypto.publicEncrypt(k, b);\n\
                      const ok = require('path');\ncollection.watch();\n";
        let mut out = Vec::new();
        scan("functions/f.js", source, &mut out);
        let lines: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "functions/f.js:1: require('async_hooks'): writ does not support Node's 'async_hooks' module yet; it loads, and using any of it throws",
                "functions/f.js:2: require('node:child_process'): Node's 'child_process' module is not available to functions (App Services did not offer it either); it loads, and using any of it throws",
                "functions/f.js:4: crypto.publicEncrypt is not supported by writ yet",
                "functions/f.js:6: collection.watch() (change streams) is not supported by writ yet",
            ]
        );
        // The imports that open a file are `require` calls on their own lines.
        let mut out = Vec::new();
        scan(
            "functions/g.js",
            "// header\nimport path from 'path';\nimport {\n  Script,\n} from \"vm\";\nexports = () => 1;\n",
            &mut out,
        );
        let lines: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "functions/g.js:3: require('vm'): Node's 'vm' module is not available to functions (App Services did not offer it either); it loads, and using any of it throws"
            ]
        );
    }
}
