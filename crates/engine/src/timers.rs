//! Timers: `setTimeout`, `setInterval`, `setImmediate`, their clears, and `queueMicrotask`.
//!
//! A timer belongs to the call that set it. Pending timers keep the call open like host
//! operations (a timer left pending when the function returns still runs before the answer),
//! count against the call's limit on outstanding work, and are cut at the call's deadline.
//! The worker's drain ([`crate::worker`]) sleeps until the next timer is due, a host operation
//! completes or the deadline passes, whichever comes first. As in Node, `setTimeout` returns a
//! `Timeout` object (`timers.js`) whose `unref()` makes the timer stop keeping the call open:
//! an unreferenced timer still runs if it falls due while the call is open for other work, and
//! is dropped when nothing else is left.

use std::time::{Duration, Instant};

use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsValue, NativeFunction, object::builtins::JsPromise,
};

use crate::{error::EngineError, state::worker_host};

/// One pending timer.
pub(crate) struct Timer {
    id: u64,
    due: Instant,
    callback: JsObject,
    args: Vec<JsValue>,
    every: Option<Duration>,
    wait: Duration,
    weak: bool,
}

/// The pending timers of one call.
#[derive(Default)]
pub(crate) struct Timers {
    pending: Vec<Timer>,
    next_id: u64,
}

impl Timers {
    /// How many timers are pending.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// When the next timer is due, if any is pending.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.iter().map(|t| t.due).min()
    }

    /// Whether a referenced timer is pending (one that keeps the call open).
    pub fn keeps_open(&self) -> bool {
        self.pending.iter().any(|t| !t.weak)
    }

    /// Drops the unreferenced timers (the call is done with everything else).
    pub fn drop_unreferenced(&mut self) {
        self.pending.retain(|t| !t.weak);
    }

    /// Removes the timer that is due first (ties in the order they were set), if it is due by
    /// `now`. An interval is put back for its next run before it is returned.
    fn take_due(&mut self, now: Instant) -> Option<(JsObject, Vec<JsValue>)> {
        let index = (0..self.pending.len())
            .filter(|&i| self.pending[i].due <= now)
            .min_by_key(|&i| (self.pending[i].due, self.pending[i].id))?;
        let timer = self.pending.remove(index);
        let fire = (timer.callback.clone(), timer.args.clone());
        if let Some(every) = timer.every {
            self.pending.push(Timer {
                due: now + every,
                ..timer
            });
        }
        Some(fire)
    }

    /// Drops every pending timer; returns how many referenced ones there were.
    pub fn cut(&mut self) -> usize {
        std::mem::take(&mut self.pending)
            .iter()
            .filter(|t| !t.weak)
            .count()
    }
}

/// Runs the timer that is due first, if one is due now. Returns whether one ran.
pub(crate) fn run_due(context: &mut Context) -> JsResult<bool> {
    let host = worker_host(context)?;
    let due = {
        let mut call = host.call.borrow_mut();
        call.as_mut().and_then(|c| c.timers.take_due(Instant::now()))
    };
    let Some((callback, args)) = due else {
        return Ok(false);
    };
    callback.call(&JsValue::undefined(), &args, context)?;
    Ok(true)
}

/// Node's rule for a delay: a number of milliseconds, at least 1; anything else is 1.
fn delay(value: Option<&JsValue>, context: &mut Context) -> JsResult<Duration> {
    let ms = match value {
        Some(v) if !v.is_undefined() => v.to_number(context)?,
        _ => 1.0,
    };
    let ms = if ms.is_finite() && (1.0..=2_147_483_647.0).contains(&ms) {
        ms
    } else {
        1.0
    };
    Ok(Duration::from_micros((ms * 1000.0) as u64))
}

/// `add(callback, delay, args, kind)`: kind 0 `setTimeout`, 1 `setInterval`, 2 `setImmediate`.
/// Returns the timer's id.
fn add(args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = args.get(3).and_then(JsValue::as_number).unwrap_or(0.0) as u8;
    let (immediate, every) = (kind == 2, kind == 1);
    let name = ["setTimeout", "setInterval", "setImmediate"][usize::from(kind.min(2))];
    let callback = args
        .first()
        .and_then(JsValue::as_object)
        .filter(|f| f.is_callable())
        .ok_or_else(|| {
            JsNativeError::typ().with_message(format!("{name}: the callback must be a function"))
        })?;
    let wait = if immediate {
        Duration::ZERO
    } else {
        delay(args.get(1), context)?
    };
    let rest: Vec<JsValue> = match args.get(2).and_then(JsValue::as_object) {
        Some(list) => {
            let n = list
                .get(boa_engine::js_string!("length"), context)?
                .to_length(context)?;
            (0..n).map(|i| list.get(i, context)).collect::<JsResult<_>>()?
        }
        None => Vec::new(),
    };
    let host = worker_host(context)?;
    let mut call = host.call.borrow_mut();
    let call = call.as_mut().ok_or_else(|| {
        JsNativeError::error().with_message(format!("{name}: no function call is in progress"))
    })?;
    if call.pending.len() + call.timers.len() >= host.max_async_ops {
        let err = EngineError::AsyncWorkLimitExceeded(host.max_async_ops);
        let message = err.to_string();
        call.fatal.get_or_insert(err);
        return Err(JsNativeError::error().with_message(message).into());
    }
    let timers = &mut call.timers;
    timers.next_id += 1;
    let id = timers.next_id;
    timers.pending.push(Timer {
        id,
        due: Instant::now() + wait,
        callback,
        args: rest,
        every: every.then_some(wait),
        wait,
        weak: false,
    });
    Ok(JsValue::from(id as f64))
}

/// Runs `f` on the running call's timer `id`, if it is pending; returns whether it was.
fn with_timer(args: &[JsValue], context: &mut Context, f: impl FnOnce(&mut Timer)) -> JsResult<JsValue> {
    let Some(id) = args.first().and_then(JsValue::as_number) else {
        return Ok(false.into());
    };
    let host = worker_host(context)?;
    let mut call = host.call.borrow_mut();
    let timer = call
        .as_mut()
        .and_then(|c| c.timers.pending.iter_mut().find(|t| t.id as f64 == id));
    Ok(match timer {
        Some(t) => {
            f(t);
            true
        }
        None => false,
    }
    .into())
}

fn clear(args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let Some(id) = args.first().and_then(JsValue::as_number) else {
        return Ok(JsValue::undefined());
    };
    let host = worker_host(context)?;
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.timers.pending.retain(|t| t.id as f64 != id);
    }
    Ok(JsValue::undefined())
}

fn queue_microtask(args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let callback = args
        .first()
        .and_then(JsValue::as_object)
        .filter(|f| f.is_callable())
        .ok_or_else(|| {
            JsNativeError::typ().with_message("queueMicrotask: the callback must be a function")
        })?;
    let callback = boa_engine::object::builtins::JsFunction::from_object(callback)
        .ok_or_else(|| JsNativeError::typ().with_message("queueMicrotask: not a function"))?;
    JsPromise::resolve(JsValue::undefined(), context)?.then(Some(callback), None, context)?;
    Ok(JsValue::undefined())
}

/// Installs the timer globals (`timers.js` over four natives) into a fresh worker context.
pub fn install(context: &mut Context) -> JsResult<()> {
    let natives: [NativeFunction; 5] = [
        NativeFunction::from_fn_ptr(|_, a, c| add(a, c)),
        NativeFunction::from_fn_ptr(|_, a, c| clear(a, c)),
        NativeFunction::from_fn_ptr(|_, a, c| {
            let weak = !a.get(1).is_some_and(JsValue::to_boolean);
            with_timer(a, c, |t| t.weak = weak)
        }),
        NativeFunction::from_fn_ptr(|_, a, c| with_timer(a, c, |t| t.due = Instant::now() + t.wait)),
        NativeFunction::from_fn_ptr(|_, a, c| queue_microtask(a, c)),
    ];
    let natives: Vec<JsValue> = natives
        .into_iter()
        .map(|f| {
            boa_engine::object::FunctionObjectBuilder::new(context.realm(), f)
                .build()
                .into()
        })
        .collect();
    let prelude = context.eval(boa_engine::Source::from_bytes(include_str!("timers.js")))?;
    let prelude = prelude
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: timers.js is not a function"))?;
    prelude.call(&JsValue::undefined(), &natives, context)?;
    Ok(())
}
