//! `console`: every line a function logs goes into its call's [`Outcome::logs`](crate::Outcome).

use boa_engine::{
    Context, JsResult, JsValue, NativeFunction, js_string, object::ObjectInitializer, property::Attribute,
};

use crate::{
    api::{LogLevel, LogLine},
    state::{WorkerHost, worker_host},
};

/// Lines kept per call; further lines are counted and reported as dropped.
pub const MAX_LINES: usize = 1_000;
/// Bytes kept per line.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Appends a line to the current call's logs.
pub(crate) fn push_log(host: &WorkerHost, level: LogLevel, mut message: String) {
    let mut call = host.call.borrow_mut();
    let Some(call) = call.as_mut() else { return };
    if call.logs.len() >= MAX_LINES {
        call.dropped_logs += 1;
        return;
    }
    if message.len() > MAX_LINE_BYTES {
        message.truncate(message.floor_char_boundary(MAX_LINE_BYTES));
        message.push_str("...");
    }
    call.logs.push(LogLine { level, message });
}

fn log_with(level: LogLevel, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = worker_host(context)?;
    let parts: Vec<String> = args
        .iter()
        .map(|a| crate::describe::display(a, context))
        .collect();
    push_log(&host, level, parts.join(" "));
    Ok(JsValue::undefined())
}

/// Installs the `console` global.
pub fn install(context: &mut Context) -> JsResult<()> {
    let console = ObjectInitializer::new(context)
        .function(
            NativeFunction::from_fn_ptr(|_, a, c| log_with(LogLevel::Info, a, c)),
            js_string!("log"),
            0,
        )
        .function(
            NativeFunction::from_fn_ptr(|_, a, c| log_with(LogLevel::Info, a, c)),
            js_string!("info"),
            0,
        )
        .function(
            NativeFunction::from_fn_ptr(|_, a, c| log_with(LogLevel::Info, a, c)),
            js_string!("debug"),
            0,
        )
        .function(
            NativeFunction::from_fn_ptr(|_, a, c| log_with(LogLevel::Warn, a, c)),
            js_string!("warn"),
            0,
        )
        .function(
            NativeFunction::from_fn_ptr(|_, a, c| log_with(LogLevel::Error, a, c)),
            js_string!("error"),
            0,
        )
        .build();
    context.register_global_property(
        js_string!("console"),
        console,
        Attribute::WRITABLE | Attribute::CONFIGURABLE,
    )?;
    Ok(())
}
