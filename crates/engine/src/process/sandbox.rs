//! The worker's OS sandbox (Landlock): before it runs any JavaScript, a worker process gives up
//! every file access but reading beneath the directories the engine names (the app's
//! `functions/`, where npm packages are, and the unpacked-archive cache) and the time zone
//! data; it cannot execute programs, connect or bind TCP sockets, reach abstract Unix sockets
//! or signal processes outside itself. A seccomp filter then refuses (EPERM) the system calls
//! a worker never makes and an attacker would want: sockets of any kind (so no UDP or raw
//! network either), tracing and reading other processes' memory, new namespaces, mounts, BPF,
//! kernel keyrings, `userfaultfd` and `perf_event_open`. A worker compromised through an
//! engine bug therefore cannot read the store's file, the server's keys or anything else the
//! server's user can, nor talk to the network. Best effort: on a kernel without Landlock the
//! files stay open to it, and the worker says so.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use landlock::{
    ABI, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
    path_beneath_rules,
};

/// The environment variable that hands a worker the directories it may read, one per line.
pub const ENV_READ: &str = "WRIT_WORKER_READ";

/// Read-only paths every worker needs: time zone data for `Date`.
const SYSTEM_READ: [&str; 2] = ["/usr/share/zoneinfo", "/etc/localtime"];

/// How far the sandbox holds on this kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confinement {
    /// Every restriction holds.
    Full,
    /// The kernel's Landlock lacks some restrictions (older ABI); the others hold.
    Partial,
    /// The kernel has no Landlock: nothing is restricted.
    None,
}

/// The directories a worker may read, from its environment.
pub fn read_roots_from_env() -> Vec<PathBuf> {
    std::env::var_os(ENV_READ)
        .map(|v| {
            v.to_string_lossy()
                .lines()
                .filter(|l| !l.is_empty())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The system calls a worker never makes, refused by [`deny_syscalls`].
const DENIED: [i64; 21] = [
    libc::SYS_socket,
    libc::SYS_socketpair,
    libc::SYS_connect,
    libc::SYS_bind,
    libc::SYS_listen,
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_mount,
    libc::SYS_bpf,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_userfaultfd,
    libc::SYS_perf_event_open,
    libc::SYS_execve,
    libc::SYS_execveat,
];

/// Refuses (EPERM) the [`DENIED`] system calls to the calling thread and every thread it
/// starts afterwards.
pub fn deny_syscalls() -> Result<(), String> {
    let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        DENIED.iter().map(|call| (*call, Vec::new())).collect();
    let arch = seccompiler::TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let filter = seccompiler::SeccompFilter::new(
        rules,
        seccompiler::SeccompAction::Allow,
        seccompiler::SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    let program: seccompiler::BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}

/// Confines the calling thread and every thread and process it starts afterwards: reading
/// beneath `read_roots` (those that exist) and the time zone data is all the file access left,
/// and the [`DENIED`] system calls fail.
pub fn confine(read_roots: &[PathBuf]) -> Result<Confinement, String> {
    deny_syscalls()?;
    let abi = ABI::V6;
    let paths: Vec<&Path> = read_roots
        .iter()
        .map(PathBuf::as_path)
        .chain(SYSTEM_READ.iter().map(Path::new))
        .filter(|p| p.exists())
        .collect();
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp))
        .and_then(|r| r.scope(Scope::AbstractUnixSocket | Scope::Signal))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(paths, AccessFs::from_read(abi))))
        .and_then(|r| r.restrict_self())
        .map_err(|e| e.to_string())?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Confinement::Full,
        RulesetStatus::PartiallyEnforced => Confinement::Partial,
        RulesetStatus::NotEnforced => Confinement::None,
    })
}
