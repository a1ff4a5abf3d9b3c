//! The [`HostService`] that hands functions the MongoDB service object.

use std::{cell::RefCell, collections::HashMap, rc::Rc, sync::Arc};

use engine::{
    boa_engine::{
        Context, JsNativeError, JsResult, JsValue, NativeFunction, Source,
        object::{FunctionObjectBuilder, builtins::JsFunction},
    },
    convert::js_to_document,
    host::{CallScope, HostService, spawn_op},
};

use crate::{Executor, Request};

/// A MongoDB data source reachable as `context.services.get(name)`.
pub struct MongoService {
    name: String,
    executor: Arc<dyn Executor>,
}

impl MongoService {
    /// The service `name` (App Services' default is `mongodb-atlas`) running on `executor`.
    pub fn new(name: impl Into<String>, executor: Arc<dyn Executor>) -> Self {
        Self {
            name: name.into(),
            executor,
        }
    }
}

/// Per-context state: the compiled prelude and one native `call` per service.
#[derive(Default)]
struct BridgeData {
    executors: RefCell<Vec<Arc<dyn Executor>>>,
    factories: RefCell<HashMap<String, JsFunction>>,
}

fn bridge_data(context: &mut Context) -> Rc<BridgeData> {
    if let Some(d) = context.get_data::<Rc<BridgeData>>() {
        return d.clone();
    }
    let d = Rc::new(BridgeData::default());
    context.insert_data(d.clone());
    d
}

fn native_call(index: usize, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = args
        .first()
        .and_then(JsValue::as_string)
        .map(|s| s.to_std_string_escaped())
        .ok_or_else(|| JsNativeError::typ().with_message("internal: operation kind missing"))?;
    let spec = js_to_document(
        &args.get(1).cloned().unwrap_or_default(),
        &format!("collection.{kind}"),
        context,
    )?;
    let request =
        Request::parse(&kind, &spec).map_err(|e| JsNativeError::typ().with_message(e.to_string()))?;
    let executor = bridge_data(context).executors.borrow().get(index).cloned();
    let executor =
        executor.ok_or_else(|| JsNativeError::error().with_message("internal: executor missing"))?;
    spawn_op(context, executor.execute(request))
}

impl HostService for MongoService {
    fn name(&self) -> &str {
        &self.name
    }

    fn instantiate(&self, _scope: CallScope, context: &mut Context) -> JsResult<JsValue> {
        let data = bridge_data(context);
        let existing = data.factories.borrow().get(&self.name).cloned();
        let factory = match existing {
            Some(f) => f,
            None => {
                let index = {
                    let mut executors = data.executors.borrow_mut();
                    executors.push(self.executor.clone());
                    executors.len() - 1
                };
                let call = FunctionObjectBuilder::new(
                    context.realm(),
                    NativeFunction::from_copy_closure(move |_, args, ctx| native_call(index, args, ctx)),
                )
                .build();
                let prelude = context.eval(Source::from_bytes(include_str!("prelude.js")))?;
                let prelude = prelude.as_callable().ok_or_else(|| {
                    JsNativeError::typ().with_message("internal: prelude is not a function")
                })?;
                let factory = prelude.call(&JsValue::undefined(), &[call.into()], context)?;
                let factory = factory
                    .as_object()
                    .and_then(JsFunction::from_object)
                    .ok_or_else(|| {
                        JsNativeError::typ().with_message("internal: prelude returned no factory")
                    })?;
                data.factories
                    .borrow_mut()
                    .insert(self.name.clone(), factory.clone());
                factory
            }
        };
        factory.call(&JsValue::undefined(), &[], context)
    }
}
