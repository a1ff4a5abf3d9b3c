//! Web globals: `atob`/`btoa`, `TextEncoder`/`TextDecoder` and `global` (`web.js`), over four
//! natives for the byte work.

use base64::{
    Engine as _,
    alphabet::STANDARD,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use boa_engine::{
    Context, JsNativeError, JsResult, JsString, JsValue, NativeFunction, Source,
    object::FunctionObjectBuilder,
};

use super::util::{arg, typed_array_bytes};

/// The text's UTF-8 bytes, lone surrogates as U+FFFD.
pub(crate) fn utf8_encode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?.to_std_string_lossy();
    Ok(crate::globals::util::uint8_array(&text.into_bytes(), context)?.into())
}

/// `(bytes, fatal, ignoreBOM)`: the text, or null when `fatal` and the bytes are not UTF-8.
pub(crate) fn utf8_decode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let bytes = match arg(args, 0).as_object() {
        Some(o) => typed_array_bytes(&o, context)?.unwrap_or_default(),
        None => Vec::new(),
    };
    let (fatal, ignore_bom) = (arg(args, 1).to_boolean(), arg(args, 2).to_boolean());
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) if !ignore_bom => rest,
        _ => &bytes[..],
    };
    let text = if fatal {
        match std::str::from_utf8(bytes) {
            Ok(t) => t.to_owned(),
            Err(_) => return Ok(JsValue::null()),
        }
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    Ok(JsString::from(text.as_str()).into())
}

/// Base64 of a string whose characters are all below 256 (checked by `btoa`).
fn base64_encode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?;
    let bytes: Vec<u8> = text.iter().map(|unit| unit as u8).collect();
    Ok(JsString::from(base64::engine::general_purpose::STANDARD.encode(bytes).as_str()).into())
}

/// The forgiving-base64 decode of the HTML standard (what `atob` does): ASCII whitespace is
/// ignored, padding is optional, trailing bits are dropped. Null when the text is not base64.
fn base64_decode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?;
    let mut ascii = String::with_capacity(text.len());
    for unit in text.iter() {
        match unit {
            0x09 | 0x0A | 0x0C | 0x0D | 0x20 => {}
            u if u < 0x80 => ascii.push(u as u8 as char),
            _ => return Ok(JsValue::null()),
        }
    }
    if ascii.len().is_multiple_of(4) {
        let trimmed = ascii.strip_suffix("==").or_else(|| ascii.strip_suffix('='));
        if let Some(t) = trimmed {
            ascii.truncate(t.len());
        }
    }
    if ascii.len() % 4 == 1 || ascii.contains('=') {
        return Ok(JsValue::null());
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone);
    match GeneralPurpose::new(&STANDARD, config).decode(ascii.as_bytes()) {
        Ok(bytes) => {
            let units: Vec<u16> = bytes.into_iter().map(u16::from).collect();
            Ok(JsString::from(&units[..]).into())
        }
        Err(_) => Ok(JsValue::null()),
    }
}

/// Installs the web globals into a fresh worker context.
pub fn install(context: &mut Context) -> JsResult<()> {
    let prelude = context.eval(Source::from_bytes(include_str!("web.js")))?;
    let prelude = prelude
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: web.js is not a function"))?;
    let natives: Vec<JsValue> = [
        NativeFunction::from_fn_ptr(utf8_encode),
        NativeFunction::from_fn_ptr(utf8_decode),
        NativeFunction::from_fn_ptr(base64_encode),
        NativeFunction::from_fn_ptr(base64_decode),
    ]
    .into_iter()
    .map(|f| FunctionObjectBuilder::new(context.realm(), f).build().into())
    .collect();
    prelude.call(&JsValue::undefined(), &natives, context)?;
    Ok(())
}
