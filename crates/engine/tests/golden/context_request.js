exports = function () {
  const r = context.request;
  return { ip: r.remoteIPAddress, headers: r.requestHeaders, query: r.rawQueryString, ua: r.httpUserAgent, action: r.action };
};
