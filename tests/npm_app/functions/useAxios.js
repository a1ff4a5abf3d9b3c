exports = async function (base) {
  const axios = require("axios");
  const get = await axios.get(`${base}/echo`, { params: { q: "a b" } });
  const post = await axios.post(`${base}/echo`, { a: 1 });
  const redirected = await axios.get(`${base}/redirect`);
  let failed;
  try {
    await axios.get(`${base}/fail`);
  } catch (e) {
    failed = [e.name, e.response && e.response.status, e.response && e.response.data, e.message];
  }
  let timedOut;
  try {
    await axios.get(`${base}/slow`, { timeout: 300 });
  } catch (e) {
    timedOut = [e.name, e.code, e.message];
  }
  return JSON.stringify({ get: [get.status, get.data], post: post.data, redirected: redirected.data, failed, timedOut });
};
