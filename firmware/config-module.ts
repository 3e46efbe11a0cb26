// The full configuration check as an on-demand module of the device: evaluated from Storage
// only when the configuration text changed since it was last checked (firmware/main.ts), so
// its tables, messages and parsers take no memory while the device runs.
// The TLS material then moves to its own records (firmware/tls-records.ts).
import { Store } from "../hal/types";
import { resolveConfig, ResolvedConfig } from "./config";
import { tlsToRecords } from "./tls-records";

export default function resolveForDevice(raw: unknown, store: Store): ResolvedConfig | string[] {
  const config = resolveConfig(raw);
  if (!Array.isArray(config)) tlsToRecords(store, config);
  return config;
}
