//! Small helpers shared by the native functions of the globals.

use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue,
    object::{
        NativeObject,
        builtins::{AlignedVec, JsArrayBuffer, JsUint8Array},
    },
    property::{Attribute, PropertyDescriptor},
};

/// The argument at `i`, or `undefined`.
pub fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

/// A copy of the native data of `this`, or a `TypeError` naming the expected class.
pub fn data_of<T: NativeObject + Clone>(this: &JsValue, class: &str) -> JsResult<T> {
    this.as_object()
        .and_then(|o| o.downcast_ref::<T>().map(|d| d.clone()))
        .ok_or_else(|| {
            JsNativeError::typ()
                .with_message(format!(
                    "{class} method called on an object that is not a {class}"
                ))
                .into()
        })
}

/// Defines `function` as method `name` of `obj` with a built-in method's attributes
/// (writable, configurable, not enumerable): how writ replaces one of Boa's.
pub fn define_method(
    obj: &JsObject,
    name: JsString,
    function: impl Into<JsValue>,
    context: &mut Context,
) -> JsResult<()> {
    obj.define_property_or_throw(
        name,
        PropertyDescriptor::builder()
            .value(function)
            .writable(true)
            .enumerable(false)
            .configurable(true),
        context,
    )?;
    Ok(())
}

/// Defines read-only, enumerable data properties on `obj`.
pub fn define_props(obj: &JsObject, props: &[(&str, JsValue)], context: &mut Context) -> JsResult<()> {
    for (name, value) in props {
        obj.define_property_or_throw(
            JsString::from(*name),
            PropertyDescriptor::builder()
                .value(value.clone())
                .writable(false)
                .enumerable(true)
                .configurable(false),
            context,
        )?;
    }
    Ok(())
}

/// Converts `value` to a u32, with a `TypeError` naming `what` if it is not a non-negative integer.
pub fn to_u32_arg(value: &JsValue, what: &str, context: &mut Context) -> JsResult<u32> {
    let n = value.to_number(context)?;
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(JsNativeError::typ()
            .with_message(format!("{what} must be an unsigned 32-bit integer, got {n}"))
            .into());
    }
    Ok(n as u32)
}

/// A string argument, or a `TypeError` naming the function and the argument.
pub fn string_arg(args: &[JsValue], i: usize, what: &str) -> JsResult<String> {
    match args.get(i).and_then(JsValue::as_string) {
        Some(s) => Ok(s.to_std_string_escaped()),
        None => Err(JsNativeError::typ()
            .with_message(format!("{what} must be a string"))
            .into()),
    }
}

/// Read-only, non-enumerable attributes for methods installed on host objects.
pub const METHOD: Attribute = Attribute::READONLY.union(Attribute::NON_ENUMERABLE);

/// The `length` of an array-like object.
pub fn array_len(obj: &JsObject, context: &mut Context) -> JsResult<u64> {
    obj.get(boa_engine::js_string!("length"), context)?
        .to_length(context)
}

/// The bytes of a typed array or `ArrayBuffer`, or `None` if `obj` is neither.
pub fn typed_array_bytes(obj: &JsObject, context: &mut Context) -> JsResult<Option<Vec<u8>>> {
    if let Ok(buf) = boa_engine::object::builtins::JsArrayBuffer::from_object(obj.clone()) {
        return Ok(Some(buf.to_vec().unwrap_or_default()));
    }
    let Ok(ta) = boa_engine::object::builtins::JsTypedArray::from_object(obj.clone()) else {
        return Ok(None);
    };
    let offset = ta.byte_offset(context)?;
    let len = ta.byte_length(context)?;
    let buffer = ta.buffer(context)?;
    // Only the view's bytes are copied, not its whole backing buffer.
    let bytes = buffer
        .as_object()
        .and_then(|b| boa_engine::object::builtins::JsArrayBuffer::from_object(b).ok())
        .and_then(|b| {
            b.data()
                .and_then(|d| d.get(offset..offset + len).map(<[u8]>::to_vec))
        })
        .unwrap_or_default();
    Ok(Some(bytes))
}

/// The bytes of argument `i` when it is an ArrayBuffer or a typed array; empty otherwise.
pub fn bytes_at(args: &[JsValue], i: usize, context: &mut Context) -> JsResult<Vec<u8>> {
    match arg(args, i).as_object() {
        Some(o) => Ok(typed_array_bytes(&o, context)?.unwrap_or_default()),
        None => Ok(Vec::new()),
    }
}

/// A new `Uint8Array` holding a copy of `bytes`, copied at once (Boa's `from_iter` copies byte
/// by byte).
pub fn uint8_array(bytes: &[u8], context: &mut Context) -> JsResult<JsUint8Array> {
    let mut block = AlignedVec::with_capacity(0, bytes.len());
    block.extend_from_slice(bytes);
    JsUint8Array::from_array_buffer(JsArrayBuffer::from_byte_block(block, context)?, context)
}

/// Argument `i` converted to a string.
pub fn text_at(args: &[JsValue], i: usize, context: &mut Context) -> JsResult<String> {
    Ok(arg(args, i).to_string(context)?.to_std_string_escaped())
}

/// A plain `Error` with `message`.
pub fn error(message: impl Into<String>) -> JsError {
    JsNativeError::error().with_message(message.into()).into()
}

/// An `Error` with `message` and Node's `code` property.
pub fn coded_error(code: &str, message: impl Into<String>, context: &mut Context) -> JsError {
    let error = JsNativeError::error()
        .with_message(message.into())
        .into_opaque(context);
    let _ = error.set(JsString::from("code"), JsString::from(code), false, context);
    JsError::from_opaque(error.into())
}
