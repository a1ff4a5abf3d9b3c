//! How a function file becomes something the engine can call, and its syntax check.
//!
//! A file is compiled once per deployment wrapped in its own function scope,
//! `(function (context, exports, module) { <file> ... })`, which isolates its top-level
//! declarations from every other file. Calling that factory runs the file's top level with the
//! call's `context` and yields what it assigned to `exports` (or `module.exports`; a `module`
//! object is only made for files that mention `module`). The wrapper
//! opens on the file's first line, so line numbers in errors are the file's own.
//! Import declarations that open a file become `require` calls first (`imports.rs`), and a
//! class method name that defines a function moves into a static field's (`class_keys.rs`).

use boa_engine::{Context, Source, ast::scope::Scope, interner::Interner, parser::Parser};

const HEADER: &str = "(function (context, exports, module) {";
const FOOTER: &str =
    "\n;return typeof exports === \"function\" || module === undefined ? exports : module.exports;\n})";

/// The file's source inside its function wrapper (its opening ES module imports turned into
/// `require` calls, as App Services' transpile did: `imports.rs`).
pub fn wrap(source: &str) -> String {
    let rewritten = imports_as_requires(source);
    let source = rewritten.as_deref().unwrap_or(source);
    let mut s = String::with_capacity(HEADER.len() + source.len() + FOOTER.len());
    s.push_str(HEADER);
    s.push_str(source);
    s.push_str(FOOTER);
    // Boa cannot run a function defined in a class method's computed name (`class_keys.rs`).
    crate::class_keys::hoist(&s).unwrap_or(s)
}

/// `source` with the ES module imports that open it turned into `require` calls on the same
/// lines (what [`wrap`] runs), or `None` when it opens with none.
pub fn imports_as_requires(source: &str) -> Option<String> {
    crate::imports::rewrite(source)
}

/// A syntax error located in the original file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line in the file.
    pub line: u32,
    /// 1-based column in the file.
    pub column: u32,
    /// The parser's message, without the position.
    pub message: String,
}

/// Parses a function file as the engine will run it; reports the first syntax error.
pub fn check_syntax(source: &str) -> Result<(), SyntaxError> {
    let wrapped = wrap(source);
    let mut parser = Parser::new(Source::from_bytes(wrapped.as_bytes()));
    let mut interner = Interner::default();
    match parser.parse_script(&Scope::new_global(), &mut interner) {
        Ok(_) => Ok(()),
        Err(err) => Err(locate(&err, source)),
    }
}

fn locate(err: &boa_engine::parser::Error, source: &str) -> SyntaxError {
    use boa_engine::parser::Error as E;
    let position = match err {
        E::Expected { span, .. } | E::Unexpected { span, .. } => Some(span.start()),
        E::General { position, .. } => Some(*position),
        E::Lex {
            err: boa_engine::parser::lexer::Error::Syntax(_, position),
        } => Some(*position),
        _ => None,
    };
    let full = err.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    let lines = source.lines().count().max(1) as u32;
    match position {
        Some(p) if p.line_number() <= lines => {
            let line = p.line_number();
            let mut column = p.column_number();
            if line == 1 {
                column = column.saturating_sub(HEADER.chars().count() as u32);
            }
            SyntaxError {
                line,
                column: column.max(1),
                message,
            }
        }
        // Past the file's last line (inside the wrapper's footer), or `abrupt end`: the file
        // ended inside a construct.
        _ => SyntaxError {
            line: lines,
            column: 1,
            message: format!("unexpected end of file ({message})"),
        },
    }
}

/// Compiles a wrapped file in `context` and returns its factory function; stack traces name
/// the file as `path` (e.g. `functions/x.js`), with the file's own lines and columns.
pub fn compile(
    name: &str,
    path: &str,
    source: &str,
    context: &mut Context,
) -> Result<boa_engine::object::builtins::JsFunction, String> {
    let wrapped = wrap(source);
    let code = Source::from_bytes(wrapped.as_bytes()).with_path(std::path::Path::new(path));
    let script = boa_engine::Script::parse(code, None, context).map_err(|e| format!("{name}: {e}"))?;
    let value = script.evaluate(context).map_err(|e| format!("{name}: {e}"))?;
    value
        .as_object()
        .and_then(boa_engine::object::builtins::JsFunction::from_object)
        .ok_or_else(|| format!("{name}: the wrapper did not evaluate to a function"))
}
