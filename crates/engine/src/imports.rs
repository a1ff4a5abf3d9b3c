//! ES module `import` declarations at the top of a function file, as editors add them
//! (`import { result } from "lodash";` above `exports = ...`). App Services transpiled
//! function source (Babel) and ran such files, with each import turned into a `require`;
//! a function file here runs as a script inside a function wrapper, where `import` is a syntax
//! error. [`rewrite`] does what that transpile did for the declarations that open the file
//! (after comments and blank lines): each becomes `const` bindings over `require(...)` on the
//! same lines, so line numbers in errors stay the file's own. An `import` after other code,
//! `import(...)` and `import.meta` are left alone (the parser then reports what it reports).

/// `source` with its opening import declarations turned into `require` calls, or `None` when
/// it opens with none.
pub fn rewrite(source: &str) -> Option<String> {
    let mut scan = Scan { s: source, pos: 0 };
    let mut out = String::new();
    let mut copied = 0;
    let mut count = 0;
    loop {
        scan.trivia();
        let start = scan.pos;
        let Some(declaration) = scan.import(count) else {
            break;
        };
        out.push_str(&source[copied..start]);
        out.push_str(&declaration);
        // The declaration's own line breaks, so the lines after it keep their numbers.
        out.extend(source[start..scan.pos].matches('\n').map(|_| '\n'));
        copied = scan.pos;
        count += 1;
    }
    if count == 0 {
        return None;
    }
    out.push_str(&source[copied..]);
    Some(out)
}

/// A cursor over the file's opening text.
struct Scan<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Scan<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    /// Skips white space and comments.
    fn trivia(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(comment) = trimmed.strip_prefix("/*") {
                match comment.find("*/") {
                    Some(end) => self.pos += 2 + end + 2,
                    None => return,
                }
            } else {
                return;
            }
        }
    }

    /// The next identifier (or keyword), after trivia.
    fn word(&mut self) -> Option<&'a str> {
        self.trivia();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        if len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let start = self.pos;
        self.pos += len;
        Some(&self.s[start..self.pos])
    }

    /// Consumes `punct` if it comes next (after trivia).
    fn eat(&mut self, punct: char) -> bool {
        let hit = self.at(punct);
        if hit {
            self.pos += punct.len_utf8();
        }
        hit
    }

    /// The next string literal's source text, quotes included.
    fn string(&mut self) -> Option<&'a str> {
        self.trivia();
        let quote = self.rest().chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let mut escaped = false;
        for (i, c) in self.rest().char_indices().skip(1) {
            match c {
                '\n' => return None,
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    let start = self.pos;
                    self.pos += i + 1;
                    return Some(&self.s[start..self.pos]);
                }
                _ => escaped = false,
            }
        }
        None
    }

    /// One import declaration as `const` bindings over `require`, the cursor after it; `None`
    /// (the cursor anywhere) when the text here is not one this rewrite understands.
    fn import(&mut self, index: usize) -> Option<String> {
        if self.word()? != "import" {
            return None;
        }
        if let Some(module) = self.string() {
            let module = module.to_string();
            self.eat(';');
            return Some(format!("require({module});"));
        }
        let mut default = None;
        let mut namespace = None;
        let mut named = Vec::new();
        if !self.at('*') && !self.at('{') {
            default = Some(self.word()?.to_string());
            if !self.eat(',') {
                return self.finish(index, default, namespace, named);
            }
        }
        if self.eat('*') {
            (self.word()? == "as").then_some(())?;
            namespace = Some(self.word()?.to_string());
        } else if self.eat('{') {
            while !self.eat('}') {
                let imported = match self.string() {
                    Some(name) => name.to_string(),
                    None => self.word()?.to_string(),
                };
                let save = self.pos;
                let local = match self.word() {
                    Some("as") => self.word()?.to_string(),
                    _ => {
                        self.pos = save;
                        imported.clone()
                    }
                };
                named.push((imported, local));
                if !self.eat(',') {
                    self.eat('}').then_some(())?;
                    break;
                }
            }
        } else {
            return None;
        }
        self.finish(index, default, namespace, named)
    }

    /// Whether `punct` comes next (after trivia).
    fn at(&mut self, punct: char) -> bool {
        self.trivia();
        self.rest().starts_with(punct)
    }

    /// `from "module";` and the declaration's replacement.
    fn finish(
        &mut self,
        index: usize,
        default: Option<String>,
        namespace: Option<String>,
        named: Vec<(String, String)>,
    ) -> Option<String> {
        (self.word()? == "from").then_some(())?;
        let module = self.string()?.to_string();
        self.eat(';');
        let required = format!("require({module})");
        let mut bindings = Vec::new();
        let source = if default.is_some() || namespace.is_some() {
            let temp = format!("__writ_import_{index}");
            bindings.push(format!("{temp} = {required}"));
            temp
        } else {
            required
        };
        // As Babel's interop: a module compiled from ES modules (`__esModule`) has its default
        // export under `default`; any other module is its own default export.
        if let Some(name) = default {
            bindings.push(format!(
                "{name} = {source} && {source}.__esModule ? {source}.default : {source}"
            ));
        }
        if let Some(name) = namespace {
            bindings.push(format!(
                "{name} = {source} && {source}.__esModule ? {source} : Object.assign({{}}, {source}, {{ default: {source} }})"
            ));
        }
        if !named.is_empty() {
            let fields: Vec<String> = named
                .iter()
                .map(|(imported, local)| format!("{imported}: {local}"))
                .collect();
            bindings.push(format!("{{ {} }} = {source}", fields.join(", ")));
        }
        Some(format!("const {};", bindings.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn opening_imports_become_requires_on_the_same_lines() {
        let source = "// an editor's auto-import\nimport { result, chunk as c } from \"lodash\";\nimport _ from 'lodash'\nimport * as fp from \"lodash/fp\";\nimport d, {\n  x,\n} from \"m\";\nimport \"side\";\n\nexports = () => result;\n";
        let out = rewrite(source).expect("rewritten");
        assert_eq!(
            out,
            "// an editor's auto-import\nconst { result: result, chunk: c } = require(\"lodash\");\nconst __writ_import_1 = require('lodash'), _ = __writ_import_1 && __writ_import_1.__esModule ? __writ_import_1.default : __writ_import_1;\nconst __writ_import_2 = require(\"lodash/fp\"), fp = __writ_import_2 && __writ_import_2.__esModule ? __writ_import_2 : Object.assign({}, __writ_import_2, { default: __writ_import_2 });\nconst __writ_import_3 = require(\"m\"), d = __writ_import_3 && __writ_import_3.__esModule ? __writ_import_3.default : __writ_import_3, { x: x } = __writ_import_3;\n\n\nrequire(\"side\");\n\nexports = () => result;\n"
        );
        assert_eq!(out.lines().count(), source.lines().count());
    }

    #[test]
    fn anything_else_is_left_to_the_parser() {
        for source in [
            "exports = () => 1;",
            "exports = () => 1;\nimport x from \"m\";",
            "import(\"m\").then(() => 1);",
            "import.meta;",
            "import x from m;",
            "import { x from \"m\";",
            "importx from \"m\";",
        ] {
            assert_eq!(rewrite(source), None, "{source}");
        }
        // A malformed second declaration: the first is rewritten, the second left to fail.
        let out = rewrite("import a from \"a\";\nimport { b from \"b\";\n").expect("first");
        assert!(out.ends_with("\nimport { b from \"b\";\n"), "{out}");
    }
}
