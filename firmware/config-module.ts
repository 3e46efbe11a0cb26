// The full configuration check as an on-demand module of the device: evaluated from Storage
// only when the configuration text changed since it was last checked (firmware/main.ts), so
// its tables, messages and parsers take no memory while the device runs.
import { resolveConfig } from "./config";

export default resolveConfig;
