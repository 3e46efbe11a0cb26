// Running out of memory inside a socket's data handler: Espruino drops the handler (and the
// bytes it was given), so without help the connection would hear nothing more until
// keep-alive gave up, over a minute later. The HAL's socket must end at once with an error
// (hal/espruino-socket.ts watches the interpreter's error flag), and do so again the second
// time, which only works if the flags were cleared after the first.
import { check, done, expectOutOfMemory } from "./probe-kit";
import { createEspruinoHal } from "../../hal/espruino";
import { LOG_INFO, SOCKET_ERROR } from "../../hal/types";

interface ServerSide {
  write(data: string): void;
}
interface NetServer {
  listen(port: number): void;
  close(): void;
}
const net = require("net") as unknown as { createServer(onConnection: (c: ServerSide) => void): NetServer };

const PORT = 40731;
const server = net.createServer(function (c: ServerSide) {
  setTimeout(function () {
    c.write("hello");
  }, 100);
});
server.listen(PORT);

const hal = createEspruinoHal({ logLevel: LOG_INFO, hosts: { "oom.test": "127.0.0.1:" + PORT } });

function round(n: number, then: () => void): void {
  let opened = false;
  let overflowAt = -1;
  let closedAt = -1;
  let closedWith = -1;
  let closedDetail = "";
  hal.net.connect({ host: "oom.test", port: PORT, tls: false }, {
    onOpen: function () {
      opened = true;
    },
    onData: function () {
      overflowAt = Date.now();
      // A message the pool cannot hold: runs out of memory here.
      // (The test on its length keeps the minifier from dropping a loop whose array nobody reads.)
      const hog: number[][] = [];
      for (;;) {
        hog.push([1, 2, 3, 4, 5, 6, 7, 8]);
        if (hog.length === 1e9) console.log("never");
      }
    },
    onClose: function (error: number, detail: string) {
      closedAt = Date.now();
      closedWith = error;
      closedDetail = detail;
    },
  });
  setTimeout(function () {
    check("round " + n + ": connected and data arrived", opened && overflowAt > 0);
    check("round " + n + ": the socket ended with an error", closedWith === SOCKET_ERROR, "error " + closedWith + " (" + closedDetail + ")");
    check("round " + n + ": it says why", closedDetail.indexOf("out of memory") >= 0, closedDetail);
    check("round " + n + ": within a second of running out", closedAt > 0 && closedAt - overflowAt < 1000, closedAt > 0 ? closedAt - overflowAt + " ms" : "not ended");
    check("round " + n + ": the memory is back", process.memory().free > process.memory().total / 2, String(process.memory().free));
    then();
  }, 2000);
}

function finish(): void {
  server.close();
  done();
}

if (process.env.BOARD === "LINUX") {
  // The stock Linux build grows its pool whenever it runs out, up to a million variables: it
  // would take minutes to run out. A board's pool is fixed, as on the other two builds.
  console.log("NOTE the stock build's pool grows instead of running out: this is tested on the fixed pools (espruino-esp32, espruino-c3)");
  check("stock build: nothing to run out of", true);
  finish();
} else {
  expectOutOfMemory();
  round(1, function () {
    round(2, finish);
  });
}
