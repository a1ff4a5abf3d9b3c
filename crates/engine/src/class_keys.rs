//! A workaround for a Boa 0.22 bug: its scope analysis never visits the computed name of a
//! class method (`class A { [expr]() {} }`), so a function defined inside that name has no
//! scopes and the engine panics ("binding must exist") when it is called. TypeScript emits
//! exactly that for classes with `#private` methods and a computed member (the assignments
//! of the private methods go into the first computed key, e.g. `[Symbol.asyncIterator]`), so
//! the `openai` package, among others, could not load.
//!
//! The rewrite moves each such name's expression into the computed key of a static field
//! placed just before the method, which Boa does analyze, and keys the method by the value:
//! `static [(__writ_key0 = (EXPR), "__writ_key0")]; static { delete this.__writ_key0; }
//! [__writ_key0]() {}`. Keys are evaluated in the same class scope and in the same order,
//! the static block removes the helper field once the class is defined, and
//! `var __writ_key0;` goes at the end of the text (hoisted), so no line number moves.

use std::ops::ControlFlow;

use boa_engine::{
    Source,
    ast::{
        Spanned,
        expression::{Expression, literal::ObjectMethodDefinition},
        function::{
            ArrowFunction, AsyncArrowFunction, AsyncFunctionExpression, AsyncGeneratorExpression,
            ClassElement, ClassElementName, ClassExpression, FunctionExpression, GeneratorExpression,
        },
        property::PropertyName,
        scope::Scope,
        visitor::{VisitWith, Visitor},
    },
    interner::Interner,
    parser::Parser,
};

/// Prefix of the helper names; nothing else in a file uses it.
const PREFIX: &str = "__writ_key";

/// `text` (a whole script, as the engine parses it) with every class method name that defines
/// a function moved into a static field's key, or `None` when it has none (or does not parse).
pub(crate) fn hoist(text: &str) -> Option<String> {
    // Only a method with a computed name can need it: `[...](`.
    if !text.contains("class") || !text.contains("](") {
        return None;
    }
    let mut parser = Parser::new(Source::from_bytes(text.as_bytes()));
    let mut interner = Interner::default();
    let script = parser.parse_script(&Scope::new_global(), &mut interner).ok()?;
    let mut finder = Finder::default();
    let _ = finder.visit_script(&script);
    if finder.keys.is_empty() {
        return None;
    }
    let lines = LineStarts::new(text);
    let mut edits = Vec::new();
    for (i, (start, end)) in finder.keys.iter().enumerate() {
        let from = lines.offset(text, start.0, start.1)?;
        let to = lines.offset(text, end.0, end.1)?;
        let open = text[..from].trim_end();
        if !open.ends_with('[') || !text[to..].trim_start().starts_with(']') {
            return None;
        }
        let element = element_start(text, open.len() - 1);
        let name = format!("{PREFIX}{i}");
        edits.push((
            element,
            element,
            format!(
                "static [({name} = ({}), \"{name}\")]; static {{ delete this.{name}; }} ",
                &text[from..to]
            ),
        ));
        edits.push((from, to, name));
    }
    let mut out = String::with_capacity(text.len() + edits.len() * 64);
    let mut at = 0;
    edits.sort_by_key(|(from, to, _)| (*from, *to));
    for (from, to, with) in &edits {
        if *from < at {
            return None; // overlapping keys (one inside another): leave the text alone
        }
        out.push_str(&text[at..*from]);
        out.push_str(with);
        at = *to;
    }
    out.push_str(&text[at..]);
    let names: Vec<String> = (0..finder.keys.len()).map(|i| format!("{PREFIX}{i}")).collect();
    // Inside the last function of the text (the wrapper): before its closing `})`.
    let close = out.rfind('}')?;
    out.insert_str(close, &format!("\n;var {};", names.join(", ")));
    Some(out)
}

/// Where the class element whose computed name opens at byte `bracket` starts: before its
/// modifiers (`static`, `async`, `get`, `set`, `*`).
fn element_start(text: &str, bracket: usize) -> usize {
    let mut start = bracket;
    loop {
        let before = text[..start].trim_end();
        if let Some(rest) = before.strip_suffix('*') {
            start = rest.len();
            continue;
        }
        let word = ["static", "async", "get", "set"].iter().find(|w| {
            before.ends_with(*w)
                && !before[..before.len() - w.len()]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        });
        match word {
            Some(w) => start = before.len() - w.len(),
            None => return start,
        }
    }
}

/// The start of each line as Boa counts lines (`\n`, `\r\n`, `\r`, U+2028, U+2029), in bytes.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek().is_some_and(|(_, n)| *n == '\n') {
                        chars.next();
                    }
                    starts.push(chars.peek().map_or(text.len(), |(j, _)| *j));
                }
                '\n' | '\u{2028}' | '\u{2029}' => starts.push(i + c.len_utf8()),
                _ => {}
            }
        }
        Self(starts)
    }

    /// The byte offset of a 1-based line and column (columns count code points).
    fn offset(&self, text: &str, line: u32, column: u32) -> Option<usize> {
        let start = *self.0.get(line.checked_sub(1)? as usize)?;
        let skip = column.checked_sub(1)? as usize;
        let rest = &text[start..];
        Some(start + rest.char_indices().nth(skip).map_or(rest.len(), |(i, _)| i))
    }
}

/// The computed class method names that contain a function, as (line, column) spans.
#[derive(Default)]
struct Finder {
    keys: Vec<((u32, u32), (u32, u32))>,
}

impl<'ast> Visitor<'ast> for Finder {
    type BreakTy = ();

    fn visit_class_element(&mut self, node: &'ast ClassElement) -> ControlFlow<()> {
        if let ClassElement::MethodDefinition(m) = node
            && let ClassElementName::PropertyName(PropertyName::Computed(key)) = m.name()
            && defines_function(key)
        {
            let span = key.span();
            let (s, e) = (span.start(), span.end());
            self.keys.push((
                (s.line_number(), s.column_number()),
                (e.line_number(), e.column_number()),
            ));
        }
        node.visit_with(self)
    }
}

/// Whether `key` defines a function (of any kind) or a class anywhere inside it: the walk
/// breaks at the first one.
fn defines_function(key: &Expression) -> bool {
    struct Any;
    macro_rules! found {
        ($($visit:ident($node:ty)),* $(,)?) => {
            impl<'ast> Visitor<'ast> for Any {
                type BreakTy = ();
                $(fn $visit(&mut self, _: &'ast $node) -> ControlFlow<()> {
                    ControlFlow::Break(())
                })*
            }
        };
    }
    found!(
        visit_function_expression(FunctionExpression),
        visit_arrow_function(ArrowFunction),
        visit_async_arrow_function(AsyncArrowFunction),
        visit_generator_expression(GeneratorExpression),
        visit_async_function_expression(AsyncFunctionExpression),
        visit_async_generator_expression(AsyncGeneratorExpression),
        visit_class_expression(ClassExpression),
        visit_object_method_definition(ObjectMethodDefinition),
    );
    Any.visit_expression(key).is_break()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_a_method_name_that_defines_a_function_into_a_static_field() {
        let text = "(function () {\nlet m;\nclass A {\n  static async [(m = function f(c) { return c; }, \"go\")]() { return 2; }\n}\nreturn m;\n})";
        let out = hoist(text).expect("rewritten");
        assert_eq!(
            out,
            "(function () {\nlet m;\nclass A {\n  static [(__writ_key0 = ((m = function f(c) { return c; }, \"go\")), \"__writ_key0\")]; static { delete this.__writ_key0; } static async [__writ_key0]() { return 2; }\n}\nreturn m;\n\n;var __writ_key0;})"
        );
        assert_eq!(out.lines().count(), text.lines().count() + 1);
    }

    #[test]
    fn leaves_other_text_alone() {
        for text in [
            "(function () { class A { [k]() {} } })",
            "(function () { const o = { [(() => 'a')()]() {} }; })",
            "(function () { return a[0](1); })",
            "(function () { class A { [(x = function () {}, 'k')]() {} ",
        ] {
            assert_eq!(hoist(text), None, "{text}");
        }
    }
}
