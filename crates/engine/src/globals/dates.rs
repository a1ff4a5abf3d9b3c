//! `Date` and `Date.parse` that read the date strings V8 reads (`date_parse.rs`) where Boa's
//! own parser gives NaN. `Date` becomes a native constructor over Boa's: a string argument
//! (or an object whose primitive is one) is parsed here, everything else goes to Boa's as it
//! came; the prototype, `now`, `UTC`, subclassing and `instanceof` are Boa's own.

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
    object::FunctionObjectBuilder, property::PropertyDescriptor, value::PreferredType,
};

use super::{date_parse, util::define_method};

/// Replaces the global `Date` and `Date.parse` (before lockdown freezes them).
pub fn install(context: &mut Context) -> JsResult<()> {
    let original = context.intrinsics().constructors().date().constructor();
    let prototype = context.intrinsics().constructors().date().prototype();
    let method = |name: JsString, context: &mut Context| -> JsResult<JsObject> {
        original.get(name, context)?.as_object().ok_or_else(|| {
            JsNativeError::typ()
                .with_message("Date is missing a method")
                .into()
        })
    };
    let boa_parse = method(js_string!("parse"), context)?;
    let now = method(js_string!("now"), context)?;
    let utc = method(js_string!("UTC"), context)?;
    let parse = FunctionObjectBuilder::new(
        context.realm(),
        NativeFunction::from_copy_closure_with_captures(parse, boa_parse.clone()),
    )
    .name(js_string!("parse"))
    .length(1)
    .build();
    let date = FunctionObjectBuilder::new(
        context.realm(),
        NativeFunction::from_copy_closure_with_captures(
            construct,
            Originals {
                date: original,
                parse: boa_parse,
            },
        ),
    )
    .name(js_string!("Date"))
    .length(7)
    .constructor(true)
    .build();
    date.define_property_or_throw(
        js_string!("prototype"),
        PropertyDescriptor::builder()
            .value(prototype.clone())
            .writable(false)
            .enumerable(false)
            .configurable(false),
        context,
    )?;
    define_method(&date, js_string!("now"), now, context)?;
    define_method(&date, js_string!("UTC"), utc, context)?;
    define_method(&date, js_string!("parse"), parse, context)?;
    define_method(&prototype, js_string!("constructor"), date.clone(), context)?;
    // The global binding has a built-in method's attributes too.
    define_method(&context.global_object(), js_string!("Date"), date, context)?;
    Ok(())
}

/// Boa's `Date` and `Date.parse`.
#[derive(Clone, boa_gc::Trace, boa_gc::Finalize)]
struct Originals {
    date: JsObject,
    parse: JsObject,
}

/// The time value of `text`: Boa's reading, else V8's, else NaN.
fn time_of(text: &JsString, boa_parse: &JsObject, context: &mut Context) -> JsResult<f64> {
    let boa = boa_parse
        .call(&JsValue::undefined(), &[text.clone().into()], context)?
        .to_number(context)?;
    if !boa.is_nan() {
        return Ok(boa);
    }
    let units = text.to_vec();
    let hooks = context.host_hooks();
    let local = |seconds: i64| i64::from(hooks.local_timezone_offset_seconds(seconds));
    Ok(date_parse::parse(&units, local).unwrap_or(f64::NAN))
}

/// `Date.parse(text)`.
fn parse(_: &JsValue, args: &[JsValue], boa_parse: &JsObject, context: &mut Context) -> JsResult<JsValue> {
    let text = args.first().cloned().unwrap_or_default().to_string(context)?;
    Ok(time_of(&text, boa_parse, context)?.into())
}

/// `Date(...)` and `new Date(...)`: Boa's, with a string argument read by [`time_of`].
fn construct(
    new_target: &JsValue,
    args: &[JsValue],
    originals: &Originals,
    context: &mut Context,
) -> JsResult<JsValue> {
    // A native constructor is given its new target in place of `this`; undefined when called.
    let Some(new_target) = new_target.as_object() else {
        return originals.date.call(&JsValue::undefined(), args, context);
    };
    let mut args = args.to_vec();
    if let [value] = args.as_mut_slice() {
        // A Date object keeps its own time (Boa reads its internal slot); anything else is
        // converted to a primitive once, as the specification does.
        let is_date = value
            .as_object()
            .is_some_and(|o| o.is::<boa_engine::builtins::date::Date>());
        if !is_date {
            *value = value.to_primitive(context, PreferredType::Default)?;
            if let Some(text) = value.as_string() {
                *value = time_of(&text, &originals.parse, context)?.into();
            }
        }
    }
    originals
        .date
        .construct(&args, Some(&new_target), context)
        .map(Into::into)
}
