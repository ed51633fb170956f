// The child process kinesalite runs in (see kinesalite-server.ts): plain JavaScript so it starts
// with bare `node`, whatever loader the parent uses. Options come as JSON in argv[2]; once listening
// it sends `{ port }` over IPC. It stops on "stop", SIGTERM or SIGINT, or when the parent goes away
// (the IPC channel closes), closing LevelDB so the next start gets its lock.
import kinesalite from "kinesalite";

const { host, port, keepAliveMs, ...options } = JSON.parse(process.argv[2] ?? "{}");
const server = kinesalite(options);
server.keepAliveTimeout = keepAliveMs;
server.headersTimeout = keepAliveMs + 1_000;
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  const done = () => process.exit(0);
  server.close(done);
  server.closeAllConnections();
  setTimeout(done, 5_000).unref();
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
