//! Hot reload: a change under the app directory reloads the whole app; a broken app is
//! reported and the previous deployment keeps serving. Calls in flight finish on the
//! deployment they started on (the engine holds it per call).

use std::{
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    time::Duration,
};

use notify::{RecursiveMode, Watcher as _};

use super::State;

/// The parts of an app directory whose changes matter.
const WATCHED: [&str; 9] = [
    "functions",
    "triggers",
    "auth",
    "data_sources",
    "values",
    "environments",
    "root_config.json",
    "realm_config.json",
    "config.json",
];

fn relevant(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .next()
        .is_some_and(|c| WATCHED.iter().any(|w| c.as_os_str() == *w))
}

/// Watches `dir` and redeploys `state` on every change; dropping the watcher stops it.
pub fn watch(dir: PathBuf, state: Arc<State>) -> anyhow::Result<notify::RecommendedWatcher> {
    let root = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })?;
    watcher.watch(&root, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("writ-reload".into())
        .spawn(move || {
            let matters = |e: &notify::Result<notify::Event>| {
                e.as_ref().is_ok_and(|e| {
                    // Reading the files (as the loader does) is not a change.
                    !matches!(e.kind, notify::EventKind::Access(_))
                        && e.paths.iter().any(|p| relevant(&root, p))
                })
            };
            while let Ok(event) = rx.recv() {
                if !matters(&event) {
                    continue;
                }
                // Let a burst of writes (an editor saving, a checkout) settle into one reload.
                loop {
                    match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(_) => continue,
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                match loader::load(&dir) {
                    Ok(d) => {
                        let n = d.functions.len();
                        super::sessions::index_custom_data(state.data.as_ref(), &d);
                        state.deploy(d);
                        super::triggers::Runner::restart(&state);
                        super::forward::Forwarders::restart(&state);
                        tracing::info!(functions = n, "app reloaded");
                    }
                    Err(e) => tracing::warn!("app not reloaded, the previous version keeps serving: {e}"),
                }
            }
        })?;
    Ok(watcher)
}
