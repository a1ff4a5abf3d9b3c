// `os`: the facts about the platform writ runs on (kernel release and version included). A function has no machine of its
// own: host details (memory, interfaces, users, CPUs) throw, naming what is missing. Its
// host name is its sandbox's, `localhost` (never the machine's: packages read it at load for
// log records and id fingerprints, pino, bunyan and formidable among them), and its temporary
// directory `/tmp` (where `fs` writes nothing, as everywhere). Its home directory is the root
// of its file view, as its working directory is (`process.cwd()`): nothing there is
// readable, so packages looking for configuration files there find none.
(function (natives, require, internal) {
  "use strict";
  const [platform, arch, kernelRelease, kernelVersion] = natives.platform();
  const nodeArch = { x86_64: "x64", aarch64: "arm64", x86: "ia32", arm: "arm" }[arch] || arch;
  const exports = {
    EOL: "\n",
    devNull: "/dev/null",
    platform: () => platform,
    type: () => (platform === "linux" ? "Linux" : platform === "macos" ? "Darwin" : platform),
    arch: () => nodeArch,
    machine: () => arch,
    endianness: () => "LE",
    homedir: () => "/",
    hostname: () => "localhost",
    tmpdir: () => "/tmp",
    release: () => kernelRelease,
    version: () => kernelVersion,
    constants: { signals: {}, errno: {}, priority: {} },
  };
  internal.unsupported(
    exports,
    "os",
    ["cpus", "totalmem", "freemem", "loadavg", "networkInterfaces", "userInfo", "getPriority", "setPriority", "uptime", "availableParallelism"],
    "a function cannot read the host machine",
  );
  return exports;
})
