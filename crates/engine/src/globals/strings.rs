//! `String.prototype.repeat` in place of Boa's, which gathers one reference per repetition
//! before joining them (24 bytes per repetition: `"x".repeat(2 ** 24)` needs 400 MB, over a
//! call's memory limit). This one copies the string into its result by doubling: the result's
//! size twice at most.

use boa_engine::{
    Context, JsArgs, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
    object::FunctionObjectBuilder,
    string::{JsStr, JsStrVariant},
    value::IntegerOrInfinity,
};

/// The longest string Boa makes (2^32 - 1 code units).
const MAX_LENGTH: u64 = u32::MAX as u64;

/// Replaces `String.prototype.repeat`.
pub fn install(context: &mut Context) -> JsResult<()> {
    let prototype: JsObject = context.intrinsics().constructors().string().prototype();
    let repeat = FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(repeat))
        .name(js_string!("repeat"))
        .length(1)
        .build();
    super::util::define_method(&prototype, js_string!("repeat"), repeat, context)
}

/// `String.prototype.repeat(count)` (ECMAScript 22.1.3.18).
fn repeat(this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    if this.is_null_or_undefined() {
        return Err(JsNativeError::typ()
            .with_message("String.prototype.repeat called on null or undefined")
            .into());
    }
    let string = this.to_string(context)?;
    let count = match args.get_or_undefined(0).to_integer_or_infinity(context)? {
        IntegerOrInfinity::Integer(n) if n >= 0 => n as u64,
        _ => {
            return Err(JsNativeError::range()
                .with_message("Invalid count value: count must be a finite number of at least 0")
                .into());
        }
    };
    let length = string.len() as u64;
    if count == 0 || length == 0 {
        return Ok(js_string!().into());
    }
    let total = match count.checked_mul(length) {
        Some(total) if total <= MAX_LENGTH => total as usize,
        _ => {
            return Err(JsNativeError::range()
                .with_message("Invalid string length: the result would be too long")
                .into());
        }
    };
    let result = match string.as_str().variant() {
        JsStrVariant::Latin1(units) => JsString::from(JsStr::latin1(&doubled(units, total))),
        JsStrVariant::Utf16(units) => JsString::from(JsStr::utf16(&doubled(units, total))),
    };
    Ok(result.into())
}

/// `units` repeated to `total` units (a whole number of times), copying what is there.
fn doubled<T: Copy>(units: &[T], total: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(units);
    while out.len() < total {
        let more = out.len().min(total - out.len());
        out.extend_from_within(..more);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use boa_engine::Source;

    fn eval(code: &str) -> JsValue {
        let mut context = Context::default();
        install(&mut context).unwrap();
        context.eval(Source::from_bytes(code)).unwrap()
    }

    #[test]
    fn repeats_as_the_standard_says() {
        let got = |code: &str| {
            eval(code)
                .to_string(&mut Context::default())
                .unwrap()
                .to_std_string_escaped()
        };
        assert_eq!(got("'ab'.repeat(3)"), "ababab");
        assert_eq!(got("'ab'.repeat(0) + '|' + ''.repeat(5)"), "|");
        assert_eq!(got("'é€'.repeat(3)"), "é€é€é€");
        assert_eq!(got("'x'.repeat(2.9)"), "xx");
        assert_eq!(got("String.prototype.repeat.call(12, 2)"), "1212");
        assert_eq!(got("'x'.repeat(1 << 24).length"), "16777216");
        assert_eq!(
            got("String.prototype.repeat.name + String.prototype.repeat.length"),
            "repeat1"
        );
        for bad in ["'x'.repeat(-1)", "'x'.repeat(Infinity)", "'x'.repeat(2 ** 33)"] {
            let thrown = got(&format!("try {{ {bad}; 'none' }} catch (e) {{ e.name }}"));
            assert_eq!(thrown, "RangeError", "{bad}");
        }
        assert_eq!(
            got("try { String.prototype.repeat.call(null, 1) } catch (e) { e.name }"),
            "TypeError"
        );
        assert_eq!(got("''.repeat(2 ** 40)"), "");
    }
}
