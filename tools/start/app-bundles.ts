// Stand-in application bundles for update runs on Node (npm start's ota scenario, the device
// tests): a first line naming the version and flags, then seeded filler bytes. On Node the
// firmware core itself runs whatever the slot holds; the first line tells it which version
// it is, and the flag "no-network" a release whose network code is broken (its device
// cannot reach the hub).
import { bootSelect, DEFAULT_MAX_TRIES, type RecordStore } from "../../firmware/ota/slots";

export const FLAG_NO_NETWORK = "no-network";
const HUBS = ["hub-a.azure-devices.net", "hub-b.azure-devices.net"];

/** Deterministic filler: the same version and size give the same bytes. */
export function appBundle(version: string, size = 40_000, flags = ""): Uint8Array {
  const head = Buffer.from(`/*azure-iot app ${version}${flags ? " " + flags : ""}*/\n`, "latin1");
  const out = new Uint8Array(size);
  out.set(head);
  let x = (size * 2654435761 + version.length * 40503) >>> 0 || 1;
  for (let i = head.length; i < size; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The version and flags a stored bundle names, or undefined when it is not one. */
export function bundleHead(text: string): { version: string; flags: string } | undefined {
  const m = /^\/\*azure-iot app ([0-9.]+)( [a-z-]+)?\*\//.exec(text);
  return m ? { version: m[1], flags: (m[2] ?? "").trim() } : undefined;
}

/** Power-on as the boot stub does it (bootSelect: a trial counted, or a rollback), then what
 *  the chosen slot holds: its version, flags, and the host overrides that make a
 *  "no-network" build unable to reach a hub. undefined when no slot holds an application. */
export function bootApp(store: RecordStore): { version: string; flags: string; hosts: Record<string, string> } | undefined {
  const head = bundleHead(store.read(bootSelect(store, DEFAULT_MAX_TRIES)) ?? "");
  if (!head) return undefined;
  const hosts: Record<string, string> = {};
  if (head.flags === FLAG_NO_NETWORK) for (const hub of HUBS) hosts[hub] = "127.0.0.1:9";
  return { ...head, hosts };
}
