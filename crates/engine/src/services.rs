//! `context.services.get(name)`: builds a service's object from its JavaScript half.
//!
//! Each service's prelude runs once per worker context and yields a factory; `services.get`
//! calls the factory with the caller's privilege. The prelude receives two natives, one per
//! privilege, so user code never holds the system's: each turns `(kind, spec)` into a
//! [`HostOp`](crate::host::HostOp) after the service's own synchronous check.

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsValue, NativeFunction, Source, js_string,
    object::FunctionObjectBuilder,
};

use crate::{
    convert::js_to_document,
    globals::util::string_arg,
    state::{start_op, worker_host},
};

/// `context.services.get(name)` for a caller with privilege `system`. Reserved services
/// (`__writ_*`, such as outbound HTTP) are reached through their own APIs, never by name.
pub(crate) fn get(system: bool, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = string_arg(args, 0, "context.services.get: the service name")?;
    if name.starts_with("__writ") {
        return Ok(JsValue::undefined());
    }
    let found = object(system, &name, context)?;
    if !found.is_undefined() {
        return Ok(found);
    }
    // One of the app's third-party HTTP services: an HTTP client whose requests name it, so
    // the server checks them against its rules.
    let host = worker_host(context)?;
    let legacy = host
        .call
        .borrow()
        .as_ref()
        .is_some_and(|c| c.deployment.http_services.contains(&name));
    if !legacy {
        return Ok(JsValue::undefined());
    }
    object_with(
        system,
        crate::host::HTTP_SERVICE,
        &[JsValue::from(js_string!(name))],
        context,
    )
}

/// The object of service `name` for a caller with privilege `system`; undefined when the
/// worker has no such service.
pub(crate) fn object(system: bool, name: &str, context: &mut Context) -> JsResult<JsValue> {
    object_with(system, name, &[], context)
}

/// [`object`], with `extra` passed to the service's factory after the privilege.
fn object_with(system: bool, name: &str, extra: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let Some(index) = host.services.iter().position(|s| s.name == name) else {
        return Ok(JsValue::undefined());
    };
    let existing = host.factories.borrow().get(&index).cloned();
    let factory = match existing {
        Some(f) => f,
        None => {
            let f = build_factory(index, context)?;
            host.factories.borrow_mut().insert(index, f.clone());
            f
        }
    };
    let mut args = vec![JsValue::from(system)];
    args.extend_from_slice(extra);
    factory.call(&JsValue::undefined(), &args, context)
}

fn build_factory(index: usize, context: &mut Context) -> JsResult<JsObject> {
    let host = worker_host(context)?;
    let prelude = host.services[index].prelude;
    let native = |system: bool, context: &mut Context| {
        FunctionObjectBuilder::new(
            context.realm(),
            NativeFunction::from_copy_closure(move |_, args, ctx| call(index, system, args, ctx)),
        )
        .build()
    };
    let call_user = native(false, context);
    let call_system = native(true, context);
    let prelude = context.eval(Source::from_bytes(prelude))?;
    let prelude = prelude
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: a service prelude is not a function"))?;
    let factory = prelude.call(
        &JsValue::undefined(),
        &[call_user.into(), call_system.into()],
        context,
    )?;
    factory.as_object().filter(|f| f.is_callable()).ok_or_else(|| {
        JsNativeError::typ()
            .with_message("internal: a service prelude returned no factory")
            .into()
    })
}

/// Starts operation `kind` of reserved service `name` with user privilege (the engine's own
/// APIs over a service, such as `fetch`); returns its promise and id. A `TypeError` naming
/// `what` when there is no such service.
pub(crate) fn call_named(
    name: &str,
    what: &str,
    kind: &str,
    spec: &JsValue,
    context: &mut Context,
) -> JsResult<(JsValue, u64)> {
    let host = worker_host(context)?;
    let Some(index) = host.services.iter().position(|s| s.name == name) else {
        return Err(JsNativeError::typ()
            .with_message(format!(
                "{what} is not available: this writ has no outbound network service"
            ))
            .into());
    };
    let spec = js_to_document(spec, what, context)?;
    (host.services[index].check)(kind, &spec).map_err(|e| JsNativeError::typ().with_message(e))?;
    crate::state::start_op_id(context, index, kind.to_string(), spec, false)
}

/// The native `call(kind, spec)` a service's prelude ends every method in.
fn call(index: usize, system: bool, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = string_arg(args, 0, "internal: the operation kind")?;
    let spec = js_to_document(
        &args.get(1).cloned().unwrap_or_default(),
        &format!("collection.{kind}"),
        context,
    )?;
    let check = worker_host(context)?.services[index].check;
    check(&kind, &spec).map_err(|e| JsNativeError::typ().with_message(e))?;
    start_op(context, index, kind, spec, system)
}
