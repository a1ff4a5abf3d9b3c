//! The worker sandbox (Landlock), tried from inside a confined process as code that escaped the
//! JavaScript engine would: it reads beneath its roots and nothing else, writes nothing, opens
//! no socket (TCP, UDP or Unix) and cannot run a program or trace another process.

use std::{path::PathBuf, process::Command};

#[test]
fn a_confined_process_reads_only_beneath_its_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("functions/node_modules/pkg")).expect("mkdir");
    std::fs::write(
        dir.path().join("functions/node_modules/pkg/index.js"),
        "exports.x = 1;",
    )
    .expect("write");
    std::fs::create_dir_all(dir.path().join("data")).expect("mkdir");
    std::fs::write(dir.path().join("data/writ.redb"), "the signing key").expect("write");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let out = Command::new(std::env::current_exe().expect("this test"))
        .args(["probe", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("WRIT_PROBE_DIR", dir.path())
        .env("WRIT_PROBE_PORT", port.to_string())
        .output()
        .expect("probe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("confinement:"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("confinement: None") {
        eprintln!("this kernel has no Landlock: the sandbox cannot be checked here");
        return;
    }
    for expected in [
        "package: read",
        "store: denied",
        "listing the data directory: denied",
        "write beside the package: denied",
        "tcp connect: denied",
        "udp socket: denied",
        "unix socket pair: denied",
        "exec: denied",
        "ptrace: denied",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
}

#[test]
#[ignore = "run in a process of its own by a_confined_process_reads_only_beneath_its_roots"]
fn probe() {
    let Some(dir) = std::env::var_os("WRIT_PROBE_DIR").map(PathBuf::from) else {
        return;
    };
    let port: u16 = std::env::var("WRIT_PROBE_PORT")
        .expect("port")
        .parse()
        .expect("port");
    let confinement = engine::process::sandbox::confine(&[dir.join("functions")]).expect("confine");
    println!("confinement: {confinement:?}");
    let verdict = |ok: bool, yes: &str| if ok { yes.to_string() } else { "denied".to_string() };
    let package = std::fs::read(dir.join("functions/node_modules/pkg/index.js")).is_ok();
    println!("package: {}", verdict(package, "read"));
    println!(
        "store: {}",
        verdict(std::fs::read(dir.join("data/writ.redb")).is_ok(), "read")
    );
    let listing = std::fs::read_dir(dir.join("data")).is_ok();
    println!("listing the data directory: {}", verdict(listing, "listed"));
    let write = std::fs::write(dir.join("functions/node_modules/pkg/evil.js"), "x").is_ok();
    println!("write beside the package: {}", verdict(write, "written"));
    let connect = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    println!("tcp connect: {}", verdict(connect, "connected"));
    println!(
        "exec: {}",
        verdict(Command::new("/bin/true").status().is_ok(), "ran")
    );
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").is_ok();
    println!("udp socket: {}", verdict(udp, "opened"));
    let pair = std::os::unix::net::UnixStream::pair().is_ok();
    println!("unix socket pair: {}", verdict(pair, "opened"));
    // SAFETY: PTRACE_ATTACH to the parent only asks; refused here, it changes nothing.
    let traced = unsafe { libc::ptrace(libc::PTRACE_ATTACH, libc::getppid(), 0, 0) } == 0;
    println!("ptrace: {}", verdict(traced, "attached"));
}
