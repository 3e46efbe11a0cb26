// The simulator's server impersonations (tlsFault) and its SNI record, seen through the Node
// HAL as the device sees them: each impostor ends the socket with SOCKET_TLS_UNVERIFIED before
// it opens (the same code a patched Espruino gives, tools/espruino/tls-verify.ts), the right
// server opens, and the name the client sent arrives as SNI whether the handshake held or not.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeHal } from "../../hal/node";
import { SOCKET_TLS_UNVERIFIED } from "../../hal/types";
import { startSimulator, type TlsFault } from "../../tools/hub-sim/index";
import { createTestCa } from "../../tools/tls/certs";

const ca = createTestCa("tls-faults test CA");

async function connectOnce(fault: TlsFault | undefined): Promise<{ opened: boolean; close: [number, string]; sni: string[] }> {
  const sim = await startSimulator({ ca, tlsFault: fault, hubs: ["hub-a.azure-devices.net"] });
  try {
    const hal = createNodeHal({ storeDir: mkdtempSync(join(tmpdir(), "tls-faults-")), hosts: sim.hosts });
    let opened = false;
    let socket: { close(): void } | undefined;
    const close = await new Promise<[number, string]>((resolve) => {
      socket = hal.net.connect({ host: sim.dpsHost, port: 8883, tls: true, ca: [ca.caDer] }, {
        onOpen: () => {
          opened = true;
          socket!.close();
        },
        onData: () => undefined,
        onClose: (error, detail) => resolve([error, detail]),
      });
    });
    return { opened, close, sni: sim.sni(sim.dpsHost) };
  } finally {
    await sim.stop();
  }
}

const faults = suite("hub-sim: TLS impostors and SNI");

faults("the right certificate -> opens; the DPS name arrived as SNI", async () => {
  const r = await connectOnce(undefined);
  assert.ok(r.opened);
  assert.equal(r.sni, ["global.azure-devices-provisioning.net"]);
});

for (const [fault, detail] of [
  ["wrong-ca", /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ["expired", /CERT_HAS_EXPIRED/],
  ["wrong-host", /ERR_TLS_CERT_ALTNAME_INVALID/],
] as Array<[TlsFault, RegExp]>) {
  faults(`${fault} -> never opens, SOCKET_TLS_UNVERIFIED; SNI still recorded`, async () => {
    const r = await connectOnce(fault);
    assert.is(r.opened, false);
    assert.is(r.close[0], SOCKET_TLS_UNVERIFIED);
    assert.match(r.close[1], detail);
    assert.equal(r.sni, ["global.azure-devices-provisioning.net"]);
  });
}

faults.run();
