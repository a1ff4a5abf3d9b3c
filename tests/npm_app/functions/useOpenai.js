exports = async function (base) {
  // The OpenAI SDK: TypeScript's output for private methods (a class method's computed name
  // that defines functions), global fetch, and FormData with a File for an upload.
  const OpenAI = require("openai");
  const client = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, maxRetries: 0 });
  const chat = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "hi" }],
  });
  const file = await client.files.create({
    file: await OpenAI.toFile(Buffer.from("{\"prompt\": \"a\"}\n"), "notes.jsonl"),
    purpose: "fine-tune",
  });
  let failed;
  try {
    await client.models.retrieve("nope");
  } catch (e) {
    failed = [e.constructor.name, e.status];
  }
  return JSON.stringify({ chat: chat.choices[0].message, usage: chat.usage, file, failed });
};
