//! The `context` object a function sees, built for each call from parts built once per deployment.
//!
//! Shared parts (`values`, `environment`, `app`, `functions`, `services`, `http`) are created
//! when a worker compiles a deployment and deep-frozen, so nothing a call does to them reaches
//! the next call. Each call gets a fresh `context` object holding those parts plus its own
//! `user` and `request`; its native data records whether it runs as system, which
//! `runningAsSystem()` and `services.get()` read.

use std::rc::Rc;

use boa_engine::{
    Context, Finalize, JsData, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Trace,
    js_string,
    object::{ObjectInitializer, builtins::JsArray},
    property::Attribute,
};

use crate::{
    api::{Deployment, RequestInfo, User},
    convert::{bson_to_js, document_to_js},
    globals::util::string_arg,
    host::{CallScope, worker_host},
};

/// Native data of a `context` object: what distinguishes one call's context from another's.
#[derive(Debug, Clone, Copy, Trace, Finalize, JsData)]
#[boa_gc(empty_trace)]
pub struct CallContext {
    /// Whether this context runs with system privileges.
    pub system: bool,
}

/// The parts of `context` shared by every call of one deployment on one worker.
pub struct SharedParts {
    values: JsObject,
    environment: JsObject,
    app: JsObject,
    functions: JsObject,
    services: JsObject,
    http: JsObject,
    running_as_system: JsValue,
}

fn system_of(this: &JsValue, context: &Context) -> bool {
    if let Some(c) = this
        .as_object()
        .and_then(|o| o.downcast_ref::<CallContext>().map(|c| *c))
    {
        return c.system;
    }
    // Detached method (`const { get } = context.services`): fall back to the call's user.
    worker_host(context)
        .ok()
        .and_then(|h| {
            h.call
                .borrow()
                .as_ref()
                .map(|c| c.user.user_type == crate::UserType::System)
        })
        .unwrap_or(false)
}

fn not_supported(what: &str) -> boa_engine::JsError {
    JsNativeError::error()
        .with_message(format!("{what} is not supported by writ yet"))
        .into()
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
            let child = obj.get(key, context)?;
            walk(&child, freeze, context, depth + 1)?;
        }
        freeze.call(&JsValue::undefined(), std::slice::from_ref(v), context)?;
        Ok(())
    }
    walk(value, &freeze, context, 0)
}

impl SharedParts {
    /// Builds the shared parts for `deployment`.
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

        let functions = ObjectInitializer::new(context)
            .function(
                NativeFunction::from_fn_ptr(functions_execute),
                js_string!("execute"),
                1,
            )
            .build();
        let services = ObjectInitializer::new(context)
            .function(NativeFunction::from_fn_ptr(services_get), js_string!("get"), 1)
            .build();

        let mut http = ObjectInitializer::new(context);
        for method in ["get", "post", "put", "patch", "delete", "head"] {
            let f = match method {
                "get" => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.get"))),
                "post" => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.post"))),
                "put" => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.put"))),
                "patch" => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.patch"))),
                "delete" => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.delete"))),
                _ => NativeFunction::from_fn_ptr(|_, _, _| Err(not_supported("context.http.head"))),
            };
            http.function(f, JsString::from(method), 1);
        }
        let http = http.build();

        let running_as_system = boa_engine::object::FunctionObjectBuilder::new(
            context.realm(),
            NativeFunction::from_fn_ptr(|this, _, ctx| Ok(system_of(this, ctx).into())),
        )
        .name(js_string!("runningAsSystem"))
        .build();

        for part in [&values, &environment, &app, &functions, &services, &http] {
            deep_freeze(&part.clone().into(), context)?;
        }
        Ok(Self {
            values,
            environment,
            app,
            functions,
            services,
            http,
            running_as_system: running_as_system.into(),
        })
    }

    /// Builds the `context` object of one call.
    pub fn call_context(
        &self,
        system: bool,
        user: &JsValue,
        request: &JsValue,
        context: &mut Context,
    ) -> JsObject {
        let proto = context.intrinsics().constructors().object().prototype();
        let obj = JsObject::from_proto_and_data(proto, CallContext { system });
        let props: [(&str, JsValue); 9] = [
            ("app", self.app.clone().into()),
            ("environment", self.environment.clone().into()),
            ("functions", self.functions.clone().into()),
            ("http", self.http.clone().into()),
            ("request", request.clone()),
            ("services", self.services.clone().into()),
            ("user", user.clone()),
            ("values", self.values.clone().into()),
            ("runningAsSystem", self.running_as_system.clone()),
        ];
        for (k, v) in props {
            // A fresh ordinary object: defining data properties cannot fail.
            let _ = obj.create_data_property_or_throw(JsString::from(k), v, context);
        }
        obj
    }
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
    if let Some(v) = &r.http_user_agent {
        init.property(
            js_string!("httpUserAgent"),
            JsString::from(v.as_str()),
            Attribute::all(),
        );
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

fn services_get(this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = string_arg(args, 0, "context.services.get: the service name")?;
    let host = worker_host(context)?;
    let system = system_of(this, context);
    match host.services.iter().find(|s| s.name() == name) {
        Some(service) => service.clone().instantiate(CallScope { system }, context),
        None => Ok(JsValue::undefined()),
    }
}

fn functions_execute(this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = string_arg(args, 0, "context.functions.execute: the function name")?;
    let system = system_of(this, context);
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
    let system = caller_system || function.run_as_system;
    let (user, request) = {
        let call = host.call.borrow();
        let call = call
            .as_ref()
            .ok_or_else(|| JsNativeError::error().with_message("no call in progress"))?;
        (call.user_js.clone(), call.request_js.clone())
    };
    let ctx_obj = compiled.shared.call_context(system, &user, &request, context);
    let module = JsObject::with_object_proto(context.intrinsics());
    let empty = JsObject::with_object_proto(context.intrinsics());
    module.create_data_property_or_throw(js_string!("exports"), empty, context)?;
    let exported = factory.call(
        &JsValue::undefined(),
        &[ctx_obj.into(), JsValue::undefined(), module.into()],
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
