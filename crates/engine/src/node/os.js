// `os`: the facts about the platform writ was built for. A function has no machine of its
// own: host details (hostname, memory, interfaces, users) throw, naming what is missing.
(function (natives, require, internal) {
  "use strict";
  const [platform, arch] = natives.platform();
  const nodeArch = { x86_64: "x64", aarch64: "arm64", x86: "ia32", arm: "arm" }[arch] || arch;
  const exports = {
    EOL: "\n",
    devNull: "/dev/null",
    platform: () => platform,
    type: () => (platform === "linux" ? "Linux" : platform === "macos" ? "Darwin" : platform),
    arch: () => nodeArch,
    machine: () => arch,
    endianness: () => "LE",
    constants: { signals: {}, errno: {}, priority: {} },
  };
  internal.unsupported(
    exports,
    "os",
    ["cpus", "totalmem", "freemem", "loadavg", "networkInterfaces", "userInfo", "getPriority", "setPriority", "hostname", "homedir", "tmpdir", "uptime", "release", "version", "availableParallelism"],
    "a function cannot read the host machine",
  );
  return exports;
})
