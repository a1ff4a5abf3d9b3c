// What the realm-web scenario scripts share: expecting a failure, and running scenarios by name.
import assert from "node:assert/strict";

// Awaits `promise` and returns the error it rejected with; fails if it did not reject.
export async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected the call to fail");
}

// Runs the named scenarios in turn: prints "ok <name>" for each, exits 1 on the first failure.
export async function run(scenarios, names) {
  for (const name of names) {
    const scenario = scenarios[name];
    if (!scenario) throw new Error(`unknown scenario ${name}`);
    try {
      await scenario();
    } catch (e) {
      console.error(`FAILED ${name}:`, e);
      process.exit(1);
    }
    console.log(`ok ${name}`);
  }
}
