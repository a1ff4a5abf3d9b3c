exports = async function (base) {
  const fetch = require("node-fetch");
  const res = await fetch(`${base}/echo?a=1`);
  const json = await res.json();
  const post = await fetch(`${base}/echo`, { method: "POST", body: JSON.stringify({ b: 2 }), headers: { "Content-Type": "application/json" } });
  return JSON.stringify({ status: res.status, json, post: await post.json(), redirected: (await fetch(`${base}/redirect`)).url });
};
