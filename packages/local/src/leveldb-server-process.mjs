// The child process a LevelDB-backed stand-in (dynalite, kinesalite) runs in, see leveldb-server.ts:
// plain JavaScript so it starts with bare `node`, whatever loader the parent uses. `{ server, host,
// port, keepAliveMs, drainMs, ...settings }` come as JSON in argv[2]; `server` names the npm package. Once
// listening it sends `{ port }` over IPC. It stops on "stop", SIGTERM or SIGINT, or when the parent
// goes away (the IPC channel closes), closing LevelDB so the next start gets its lock.
const { server: packageName, host, port, keepAliveMs, drainMs, ...settings } = JSON.parse(process.argv[2] ?? "{}");
const { default: createServer } = await import(packageName);
const server = createServer(settings);
// Idle keep-alive connections kept as long as the other local servers keep theirs (http-server.ts
// listen): clients reuse them instead of reconnecting after every lull.
server.keepAliveTimeout = keepAliveMs;
server.headersTimeout = keepAliveMs + 1_000;
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  const done = () => process.exit(0);
  // Requests in flight answer first (their writes' later steps need the store open); idle
  // keep-alive connections close as soon as they are idle.
  server.close(done);
  const idleSweep = setInterval(() => server.closeIdleConnections(), 20);
  idleSweep.unref();
  setTimeout(() => server.closeAllConnections(), drainMs).unref();
  setTimeout(done, drainMs + 5_000).unref();
}

server.once("error", (error) => {
  process.send?.({ error: { code: error.code, message: error.message } });
  process.exit(1);
});
server.listen(port, host, () => process.send?.({ port: server.address().port }));
process.on("message", (message) => message === "stop" && stop());
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
