//! Lockdown of a worker context (`lockdown.js`): built-ins are frozen once, and the global
//! object is put back after every call, so no call sees what an earlier one did to shared
//! state. A call that leaves the global object in a state that cannot be undone (a permanent
//! new global, another prototype, no longer extensible) taints the context, which the worker
//! then replaces.

use std::collections::HashSet;

use boa_engine::{
    Context, JsObject, JsResult, JsValue, Source,
    object::{IntegrityLevel, builtins::JsArray},
    property::PropertyKey,
};

/// The global object as lockdown left it.
pub struct GlobalSnapshot {
    keys: HashSet<PropertyKey>,
    prototype: Option<JsObject>,
}

/// Locks `context` down; returns the state of its global object to restore after each call.
/// `extra_roots` are objects only closures reach (so the walk from the global object misses
/// them); `enable` is the enablement function (`node/internal.js`).
pub fn apply(context: &mut Context, extra_roots: &[JsObject], enable: JsValue) -> JsResult<GlobalSnapshot> {
    let lockdown = context.eval(Source::from_bytes(include_str!("lockdown.js")))?;
    let lockdown = lockdown
        .as_callable()
        .ok_or_else(|| boa_engine::JsNativeError::typ().with_message("internal: lockdown.js"))?;
    let extra = JsArray::from_iter(extra_roots.iter().cloned().map(JsValue::from), context);
    let roots = lockdown.call(&JsValue::undefined(), &[extra.into(), enable], context)?;
    let roots = roots
        .as_object()
        .and_then(|o| JsArray::from_object(o.clone()).ok())
        .ok_or_else(|| boa_engine::JsNativeError::typ().with_message("internal: lockdown roots"))?;
    let mut todo = Vec::new();
    for i in 0..roots.length(context)? {
        if let Some(o) = roots.get(i, context)?.as_object() {
            todo.push(o);
        }
    }
    freeze_all(todo, context)?;
    let global = context.global_object();
    let keys = global.own_property_keys(context)?.into_iter().collect();
    let prototype = global.prototype();
    Ok(GlobalSnapshot { keys, prototype })
}

/// Freezes `root` and every object it reaches that is not frozen yet: for objects made after
/// lockdown (the built-in modules). An object that is no longer extensible was frozen by
/// lockdown or an earlier call of this, and is not walked again.
pub fn freeze_new(root: JsObject, context: &mut Context) -> JsResult<usize> {
    freeze_walk(vec![root], true, context)
}

/// Freezes every object reachable from `todo` through prototypes and property values
/// (getters and setters included), without running any getter.
fn freeze_all(todo: Vec<JsObject>, context: &mut Context) -> JsResult<usize> {
    freeze_walk(todo, false, context)
}

fn freeze_walk(mut todo: Vec<JsObject>, skip_frozen: bool, context: &mut Context) -> JsResult<usize> {
    let mut seen = HashSet::new();
    while let Some(object) = todo.pop() {
        if !seen.insert(object.clone()) {
            continue;
        }
        if skip_frozen && !object.is_extensible(context)? {
            continue;
        }
        object.set_integrity_level(IntegrityLevel::Frozen, context)?;
        todo.extend(object.prototype());
        let keys = object.own_property_keys(context)?;
        let borrowed = object.borrow();
        for key in keys {
            let Some(desc) = borrowed.properties().get(&key) else {
                continue;
            };
            for value in [desc.value(), desc.get(), desc.set()].into_iter().flatten() {
                todo.extend(value.as_object());
            }
        }
    }
    Ok(seen.len())
}

impl GlobalSnapshot {
    /// Deletes the globals a call added. False when the global object cannot be put back.
    pub fn restore(&self, context: &mut Context) -> bool {
        let global = context.global_object();
        let Ok(keys) = global.own_property_keys(context) else {
            return false;
        };
        let mut clean = true;
        // Lockdown made every original binding permanent, so the same count means no new one.
        if keys.len() != self.keys.len() {
            for key in keys.into_iter().filter(|k| !self.keys.contains(k)) {
                clean &= global.delete_property_or_throw(key, context).is_ok();
            }
        }
        let same_prototype = match (&self.prototype, global.prototype()) {
            (Some(a), Some(b)) => JsObject::equals(a, &b),
            (None, None) => true,
            _ => false,
        };
        let extensible = global.is_extensible(context).unwrap_or(false);
        clean && same_prototype && extensible
    }
}
