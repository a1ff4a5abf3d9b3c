//! The `context` object a function sees.
//!
//! Every part of `context` is built once per deployment on each worker and deep-frozen, so
//! nothing one call does to it reaches the next, and starting a call creates no objects for it.
//! There are two frozen `context` objects, one for calls running as the user and one for calls
//! running as system, because `runningAsSystem()`, `services.get` and `functions.execute`
//! depend on that. `context.user` and `context.request` are getters that build the current
//! call's objects the first time a call reads them.

use std::rc::Rc;

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
    object::{FunctionObjectBuilder, ObjectInitializer, builtins::JsArray},
    property::Attribute,
};

use crate::{
    api::{Deployment, RequestInfo, User},
    convert::{bson_to_js, document_to_js},
    globals::util::string_arg,
    state::{SharedParts, worker_host},
};

/// `context.http`: the outbound HTTP service's object for the caller's privilege; without
/// that service, an object whose methods say why they cannot run.
fn http_client(system: bool, context: &mut Context) -> JsResult<JsValue> {
    let client = crate::services::object(system, crate::host::HTTP_SERVICE, context)?;
    if !client.is_undefined() {
        return Ok(client);
    }
    let mut missing = ObjectInitializer::new(context);
    for method in ["get", "post", "put", "patch", "delete", "head"] {
        let f = NativeFunction::from_copy_closure(move |_, _, _| {
            Err(JsNativeError::error()
                .with_message(format!(
                    "context.http.{method} is not available: this writ has no outbound HTTP service"
                ))
                .into())
        });
        missing.function(f, JsString::from(method), 1);
    }
    Ok(missing.build().into())
}

fn deep_freeze(value: &JsValue, context: &mut Context) -> JsResult<()> {
    let freeze = context
        .intrinsics()
        .constructors()
        .object()
        .constructor()
        .get(js_string!("freeze"), context)?;
    let freeze = freeze
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("Object.freeze missing"))?;
    fn walk(v: &JsValue, freeze: &JsObject, context: &mut Context, depth: usize) -> JsResult<()> {
        let Some(obj) = v.as_object() else { return Ok(()) };
        if depth > crate::convert::MAX_DEPTH || obj.is_callable() {
            return Ok(());
        }
        for key in obj.own_property_keys(context)? {
            // Data properties only: reading an accessor would run a getter.
            let desc = obj.borrow().properties().get(&key);
            if let Some(child) = desc.and_then(|d| d.value().cloned()) {
                walk(&child, freeze, context, depth + 1)?;
            }
        }
        freeze.call(&JsValue::undefined(), std::slice::from_ref(v), context)?;
        Ok(())
    }
    walk(value, &freeze, context, 0)
}

fn getter(
    context: &mut Context,
    name: &'static str,
    f: fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>,
) -> boa_engine::object::builtins::JsFunction {
    FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(f))
        .name(JsString::from(name))
        .build()
}

impl SharedParts {
    /// Builds and freezes both `context` objects for `deployment`.
    pub fn build(deployment: &Deployment, context: &mut Context) -> JsResult<Self> {
        let values = ObjectInitializer::new(context)
            .function(NativeFunction::from_fn_ptr(values_get), js_string!("get"), 1)
            .build();

        let env_values = document_to_js(&deployment.environment_values, context)?;
        let environment = ObjectInitializer::new(context)
            .property(
                js_string!("tag"),
                JsString::from(deployment.environment_tag.as_str()),
                Attribute::all(),
            )
            .property(js_string!("values"), env_values, Attribute::all())
            .build();

        let a = &deployment.app;
        let deployment_obj = ObjectInitializer::new(context)
            .property(
                js_string!("model"),
                JsString::from(a.deployment_model.as_str()),
                Attribute::all(),
            )
            .property(
                js_string!("providerRegion"),
                JsString::from(a.provider_region.as_str()),
                Attribute::all(),
            )
            .build();
        let app = ObjectInitializer::new(context)
            .property(js_string!("id"), JsString::from(a.id.as_str()), Attribute::all())
            .property(
                js_string!("clientAppId"),
                JsString::from(a.client_app_id.as_str()),
                Attribute::all(),
            )
            .property(
                js_string!("name"),
                JsString::from(a.name.as_str()),
                Attribute::all(),
            )
            .property(
                js_string!("projectId"),
                JsString::from(a.project_id.as_str()),
                Attribute::all(),
            )
            .property(js_string!("deployment"), deployment_obj, Attribute::all())
            .property(
                js_string!("lastDeployed"),
                JsString::from(a.last_deployed.as_str()),
                Attribute::all(),
            )
            .build();

        let user = getter(context, "user", user_getter);
        let request = getter(context, "request", request_getter);

        let mut variants = Vec::with_capacity(2);
        for system in [false, true] {
            let functions = ObjectInitializer::new(context)
                .function(
                    NativeFunction::from_copy_closure(move |_, args, ctx| {
                        functions_execute(system, args, ctx)
                    }),
                    js_string!("execute"),
                    1,
                )
                .build();
            let services = ObjectInitializer::new(context)
                .function(
                    NativeFunction::from_copy_closure(move |_, args, ctx| {
                        crate::services::get(system, args, ctx)
                    }),
                    js_string!("get"),
                    1,
                )
                .build();
            let http = FunctionObjectBuilder::new(
                context.realm(),
                NativeFunction::from_copy_closure(move |_, _, ctx| http_client(system, ctx)),
            )
            .name(js_string!("http"))
            .build();
            let running_as_system = FunctionObjectBuilder::new(
                context.realm(),
                NativeFunction::from_copy_closure(move |_, _, _| Ok(system.into())),
            )
            .name(js_string!("runningAsSystem"))
            .build();
            let ctx_obj = ObjectInitializer::new(context)
                .property(js_string!("app"), app.clone(), Attribute::ENUMERABLE)
                .property(
                    js_string!("environment"),
                    environment.clone(),
                    Attribute::ENUMERABLE,
                )
                .property(js_string!("functions"), functions, Attribute::ENUMERABLE)
                .accessor(js_string!("http"), Some(http), None, Attribute::ENUMERABLE)
                .accessor(
                    js_string!("request"),
                    Some(request.clone()),
                    None,
                    Attribute::ENUMERABLE,
                )
                .property(js_string!("services"), services, Attribute::ENUMERABLE)
                .accessor(
                    js_string!("user"),
                    Some(user.clone()),
                    None,
                    Attribute::ENUMERABLE,
                )
                .property(js_string!("values"), values.clone(), Attribute::ENUMERABLE)
                .property(
                    js_string!("runningAsSystem"),
                    running_as_system,
                    Attribute::ENUMERABLE,
                )
                .build();
            deep_freeze(&ctx_obj.clone().into(), context)?;
            variants.push(ctx_obj);
        }
        let as_system = variants
            .pop()
            .ok_or_else(|| JsNativeError::error().with_message("no context"))?;
        let as_user = variants
            .pop()
            .ok_or_else(|| JsNativeError::error().with_message("no context"))?;
        Ok(Self { as_user, as_system })
    }
}

fn user_getter(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let user = {
        let call = host.call.borrow();
        let call = call
            .as_ref()
            .ok_or_else(|| JsNativeError::error().with_message("no call in progress"))?;
        if let Some(v) = &call.user_js {
            return Ok(v.clone());
        }
        call.user.clone()
    };
    let user = user
        .value()
        .map_err(|e| JsNativeError::error().with_message(e.to_string()))?;
    let value = user_object(&user, context)?;
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.user_js = Some(value.clone());
    }
    Ok(value)
}

fn request_getter(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let request = {
        let call = host.call.borrow();
        let call = call
            .as_ref()
            .ok_or_else(|| JsNativeError::error().with_message("no call in progress"))?;
        if let Some(v) = &call.request_js {
            return Ok(v.clone());
        }
        call.request.clone()
    };
    let request = request
        .value()
        .map_err(|e| JsNativeError::error().with_message(e.to_string()))?;
    let value = request_object(request.as_ref().as_ref(), context)?;
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.request_js = Some(value.clone());
    }
    Ok(value)
}

/// Builds `context.user`.
pub fn user_object(user: &User, context: &mut Context) -> JsResult<JsValue> {
    let data = document_to_js(&user.data, context)?;
    let custom = document_to_js(&user.custom_data, context)?;
    let mut identities = Vec::with_capacity(user.identities.len());
    for identity in &user.identities {
        let data = document_to_js(&identity.data, context)?;
        let obj = ObjectInitializer::new(context)
            .property(
                js_string!("id"),
                JsString::from(identity.id.as_str()),
                Attribute::all(),
            )
            .property(
                js_string!("provider_type"),
                JsString::from(identity.provider_type.as_str()),
                Attribute::all(),
            )
            .property(js_string!("data"), data, Attribute::all())
            .build();
        identities.push(obj.into());
    }
    let identities = JsArray::from_iter(identities, context);
    let mut init = ObjectInitializer::new(context);
    if !user.id.is_empty() {
        init.property(
            js_string!("id"),
            JsString::from(user.id.as_str()),
            Attribute::all(),
        );
    }
    Ok(init
        .property(
            js_string!("type"),
            JsString::from(user.user_type.as_str()),
            Attribute::all(),
        )
        .property(js_string!("data"), data, Attribute::all())
        .property(js_string!("custom_data"), custom, Attribute::all())
        .property(js_string!("identities"), identities, Attribute::all())
        .build()
        .into())
}

/// Builds `context.request`.
pub fn request_object(request: Option<&RequestInfo>, context: &mut Context) -> JsResult<JsValue> {
    let Some(r) = request else {
        return Ok(JsObject::with_object_proto(context.intrinsics()).into());
    };
    let headers = JsObject::with_object_proto(context.intrinsics());
    for (name, values) in &r.request_headers {
        let vals: Vec<JsValue> = values.iter().map(|v| JsString::from(v.as_str()).into()).collect();
        let arr = JsArray::from_iter(vals, context);
        headers.create_data_property_or_throw(JsString::from(name.as_str()), arr, context)?;
    }
    let mut init = ObjectInitializer::new(context);
    init.property(
        js_string!("remoteIPAddress"),
        JsString::from(r.remote_ip_address.as_str()),
        Attribute::all(),
    )
    .property(js_string!("requestHeaders"), headers, Attribute::all())
    .property(
        js_string!("rawQueryString"),
        JsString::from(r.raw_query_string.as_str()),
        Attribute::all(),
    )
    .property(
        js_string!("service"),
        JsString::from(r.service.as_str()),
        Attribute::all(),
    )
    .property(
        js_string!("action"),
        JsString::from(r.action.as_str()),
        Attribute::all(),
    );
    if let Some(v) = &r.http_referrer {
        init.property(
            js_string!("httpReferrer"),
            JsString::from(v.as_str()),
            Attribute::all(),
        );
    }
    for (name, value) in [
        (js_string!("httpUserAgent"), &r.http_user_agent),
        (js_string!("httpMethod"), &r.http_method),
        (js_string!("webhookUrl"), &r.webhook_url),
    ] {
        if let Some(v) = value {
            init.property(name, JsString::from(v.as_str()), Attribute::all());
        }
    }
    Ok(init.build().into())
}

fn values_get(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = string_arg(args, 0, "context.values.get: the value name")?;
    let host = worker_host(context)?;
    let value = host
        .call
        .borrow()
        .as_ref()
        .and_then(|c| c.deployment.values.get(&name).cloned());
    match value {
        Some(v) => bson_to_js(&v, context),
        None => Ok(JsValue::undefined()),
    }
}

fn functions_execute(system: bool, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = string_arg(args, 0, "context.functions.execute: the function name")?;
    invoke(&name, system, args.get(1..).unwrap_or_default(), context)
}

/// Runs function `name`'s file for a new context and calls its export with `args`.
///
/// `caller_system` is the caller's privilege; a function configured `run_as_system` raises it.
pub fn invoke(name: &str, caller_system: bool, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let compiled = Rc::clone(&host.compiled.borrow());
    let Some(function) = compiled.functions.get(name) else {
        return Err(JsNativeError::error()
            .with_message(format!("function not found: '{name}'"))
            .into());
    };
    let factory = function.factory.clone().map_err(|reason| {
        boa_engine::JsError::from(
            JsNativeError::error().with_message(format!("function '{name}' is invalid: {reason}")),
        )
    })?;
    let ctx_obj = compiled
        .shared
        .context(caller_system || function.run_as_system)
        .clone();
    let module = if function.uses_module {
        let module = JsObject::with_object_proto(context.intrinsics());
        let empty = JsObject::with_object_proto(context.intrinsics());
        module.create_data_property_or_throw(js_string!("exports"), empty, context)?;
        module.into()
    } else {
        JsValue::undefined()
    };
    let exported = factory.call(
        &JsValue::undefined(),
        &[ctx_obj.into(), JsValue::undefined(), module],
        context,
    )?;
    let Some(callable) = exported.as_callable() else {
        return Err(JsNativeError::typ()
            .with_message(format!(
                "function '{name}' does not export a function (assign one to `exports`)"
            ))
            .into());
    };
    callable.call(&JsValue::undefined(), args, context)
}
