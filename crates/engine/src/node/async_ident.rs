//! Workarounds for two Boa parser bugs with contextual keywords used as plain identifiers:
//! `async` in a call (`async(callback)`, as `asynckit` does) is taken for the start of an async
//! arrow function, and `using` where an expression is expected (`exports.using = using;`, as
//! rxjs has it) for a `using` declaration; both fail to parse. When a package file fails that
//! way, the loader retries once with every such identifier renamed; keyword uses (`async
//! function`, `async (...) =>`, `async x =>`, async methods, `using x = ...`, methods named
//! `using`) and property names (`.async`, `async:`) are left alone. Files that parse are
//! never touched.

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The index just past the string literal starting at `i` (quote at `s[i]`).
fn skip_string(s: &[u8], mut i: usize) -> usize {
    let quote = s[i];
    i += 1;
    while i < s.len() && s[i] != quote {
        i += if s[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

/// The index of the `)` matching the `(` at `i`, if any.
fn matching_paren(s: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < s.len() {
        match s[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_string(s, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the `async` ending just before `end` is the keyword.
fn keyword_use(s: &[u8], end: usize) -> bool {
    let i = skip_ws(s, end);
    let Some(&next) = s.get(i) else { return false };
    match next {
        b'(' => matching_paren(s, i)
            .map(|close| s[skip_ws(s, close + 1)..].starts_with(b"=>"))
            .unwrap_or(false),
        b'*' | b'[' | b':' => true,
        c if is_ident(c) => {
            let mut j = i;
            while j < s.len() && is_ident(s[j]) {
                j += 1;
            }
            let k = skip_ws(s, j);
            &s[i..j] == b"function" || s[k..].starts_with(b"=>") || s.get(k) == Some(&b'(')
        }
        _ => false,
    }
}

/// Whether the `using` ending just before `end` (starting at `start`) is the keyword or a
/// method's name: `using x = ...` (a name follows on the same line) or `using(...) {` that is
/// not a function declaration's name.
fn using_keyword(s: &[u8], start: usize, end: usize) -> bool {
    let mut i = end;
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    match s.get(i) {
        Some(&c) if is_ident(c) && !c.is_ascii_digit() => {
            !s[i..].starts_with(b"in ") && !s[i..].starts_with(b"of ")
        }
        Some(b'(') => {
            let before = s[..start].trim_ascii_end();
            !before.ends_with(b"function")
                && matching_paren(s, i).is_some_and(|close| s.get(skip_ws(s, close + 1)) == Some(&b'{'))
        }
        Some(b':') => true,
        _ => false,
    }
}

/// `source` with identifier uses of `async` renamed, or `None` when there are none.
pub fn rename(source: &str) -> Option<String> {
    rename_word(source, "async", "__writ_async", |s, _, end| keyword_use(s, end))
}

/// `source` with identifier uses of `using` renamed, or `None` when there are none.
pub fn rename_using(source: &str) -> Option<String> {
    rename_word(source, "using", "__writ_using", using_keyword)
}

/// `source` with the uses of `word` that `keyword` (given the text, the word's start and
/// its end) does not claim renamed to `renamed`, skipping strings, comments and properties.
fn rename_word(
    source: &str,
    word: &str,
    renamed: &str,
    keyword: impl Fn(&[u8], usize, usize) -> bool,
) -> Option<String> {
    let word = word.as_bytes();
    let s = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 64);
    let (mut i, mut copied, mut changed) = (0, 0, false);
    while i < s.len() {
        match s[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_string(s, i);
                continue;
            }
            b'/' if s.get(i + 1) == Some(&b'/') => {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < s.len() && !(s[i] == b'*' && s[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        let starts_word = i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == b'.');
        let end = i + word.len();
        if starts_word && s[i..].starts_with(word) && !s.get(end).is_some_and(|&c| is_ident(c)) {
            if !keyword(s, i, end) {
                out.push_str(&source[copied..i]);
                out.push_str(renamed);
                copied = end;
                changed = true;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out.push_str(source.get(copied..).unwrap_or_default());
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::rename;

    #[test]
    fn renames_identifier_uses_only() {
        let src = "var async = require('./async.js');\nx = iterator(item, async(callback));\n\
                   const f = async (a) => a; async function g() {} const h = async x => x;\n\
                   o = { async: 1, async m() {}, async *n() {} }; p.async(1); s = 'async(';";
        let out = rename(src).expect("renamed");
        assert_eq!(
            out,
            "var __writ_async = require('./async.js');\nx = iterator(item, __writ_async(callback));\n\
             const f = async (a) => a; async function g() {} const h = async x => x;\n\
             o = { async: 1, async m() {}, async *n() {} }; p.async(1); s = 'async(';"
        );
        assert_eq!(rename("const f = async () => 1;"), None);
    }

    #[test]
    fn renames_using_where_it_is_an_identifier() {
        let src = "function using(a, b) { return a; }\nexports.using = using;\n\
                   const x = using(1, 2); o = { using: 1 }; class C { using(r) { return r; } }\n\
                   { using res = get(); } for (const k of using) {} s = 'using;';";
        let out = super::rename_using(src).expect("renamed");
        assert_eq!(
            out,
            "function __writ_using(a, b) { return a; }\nexports.using = __writ_using;\n\
             const x = __writ_using(1, 2); o = { using: 1 }; class C { using(r) { return r; } }\n\
             { using res = get(); } for (const k of __writ_using) {} s = 'using;';"
        );
        assert_eq!(super::rename_using("const y = 1;"), None);
    }
}
