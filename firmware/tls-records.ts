// TLS material in flash. The configuration carries CA certificates and an X.509 identity as
// text (PEM or base64 DER). Held in RAM, a certificate costs about 70 JsVars as text, and a
// socket keeps the decoded copy it was given (about 45 more) for as long as it is open. So
// when the device resolves its configuration, each is written to its own Storage record in
// the form TLS takes, and the resolved copy names the records instead; every boot then reads
// them as flash-backed strings, one JsVar each, which the socket hashes and parses in place.
import { Store } from "../hal/types";
import { ResolvedConfig } from "./config";
import { certificate } from "./device/link";
import { TLS_RECORD_PREFIX } from "./storage-names";

/** At most this many CA records (the configuration check allows 4). */
const MAX_CA_RECORDS = 4;

function isRecordName(value: string): boolean {
  // PEM begins with "-", base64 has no "."; substr, not indexOf (see docs/espruino.md).
  return value.substr(0, TLS_RECORD_PREFIX.length) === TLS_RECORD_PREFIX;
}

/** Writes one certificate or key as TLS takes it; returns the record's name, or the text
 *  itself when the record could not be written (it then stays in the configuration). */
function toRecord(store: Store, name: string, text: string): string {
  const value = certificate(text);
  // A record written at offset 0 with its size is a new one, replacing any old one.
  const written = typeof value === "string" ? store.write(name, value) : value.length > 0 && store.writeChunk(name, value, 0, value.length);
  return written && store.read(name) !== undefined ? name : text;
}

/** After the check: writes the configuration's TLS material to records and puts their names
 *  in its place (in config, which is then saved as the resolved copy). */
export function tlsToRecords(store: Store, config: ResolvedConfig): void {
  const ca = config.ca;
  for (let i = 0; i < MAX_CA_RECORDS; i++) {
    if (i < ca.length) ca[i] = toRecord(store, TLS_RECORD_PREFIX + "ca" + i, ca[i]);
    else store.erase(TLS_RECORD_PREFIX + "ca" + i);
  }
  if (config.certificate) config.certificate = toRecord(store, TLS_RECORD_PREFIX + "crt", config.certificate);
  else store.erase(TLS_RECORD_PREFIX + "crt");
  if (config.privateKey) config.privateKey = toRecord(store, TLS_RECORD_PREFIX + "key", config.privateKey);
  else store.erase(TLS_RECORD_PREFIX + "key");
}

/** At boot: replaces record names in config with the records' flash-backed contents. False
 *  when a record is missing (the configuration is then resolved again, which rewrites it). */
export function tlsFromRecords(store: Store, config: ResolvedConfig): boolean {
  const ca = config.ca;
  let value: string | undefined;
  for (let i = 0; i < ca.length; i++) {
    if (isRecordName(ca[i])) {
      value = store.read(ca[i]);
      if (value === undefined) return false;
      ca[i] = value;
    }
  }
  if (isRecordName(config.certificate)) {
    value = store.read(config.certificate);
    if (value === undefined) return false;
    config.certificate = value;
  }
  if (isRecordName(config.privateKey)) {
    value = store.read(config.privateKey);
    if (value === undefined) return false;
    config.privateKey = value;
  }
  return true;
}
