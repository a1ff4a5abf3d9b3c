// `os`: the facts about the platform writ runs on (kernel release and version included). A function has no machine of its
// own: host details (hostname, memory, interfaces, users) throw, naming what is missing. Its
// home directory is the root of its file view, as its working directory is (`process.cwd()`):
// nothing there is readable, so packages looking for configuration files there find none.
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
    release: () => kernelRelease,
    version: () => kernelVersion,
    constants: { signals: {}, errno: {}, priority: {} },
  };
  internal.unsupported(
    exports,
    "os",
    ["cpus", "totalmem", "freemem", "loadavg", "networkInterfaces", "userInfo", "getPriority", "setPriority", "hostname", "tmpdir", "uptime", "availableParallelism"],
    "a function cannot read the host machine",
  );
  return exports;
})
