// nodemailer over writ's `net` sockets: a message to the test's SMTP server (`host:port`).
exports = async function (server) {
  const nodemailer = require("nodemailer");
  const [host, port] = server.split(":");
  const transport = nodemailer.createTransport({ host, port: Number(port), secure: false, ignoreTLS: true, name: "writ.test" });
  const info = await transport.sendMail({
    from: "Writ <writ@example.com>",
    to: ["ada@example.com", "bob@example.com"],
    subject: "Sent from a function",
    text: "Hello over SMTP",
    messageId: "<fixed@writ.test>",
    date: new Date(0),
  });
  let refused;
  try {
    await transport.sendMail({ from: "writ@example.com", to: "nobody@refused.example", subject: "x", text: "y" });
  } catch (e) {
    refused = [e.code, e.responseCode, e.command];
  }
  return JSON.stringify({ accepted: info.accepted, rejected: info.rejected, response: info.response, envelope: info.envelope, messageId: info.messageId, refused });
};
