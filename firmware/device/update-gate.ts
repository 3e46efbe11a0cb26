// Whether the update agent (an on-demand module, firmware/device/updates.ts) is needed at all:
// a warm boot with nothing to update never evaluates it.
import { Store } from "../../hal/types";
import { PROGRESS_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2 } from "../ota/slots";

/** The `ota` reported property as far as this check reads it. */
interface ReportedOta {
  current?: string;
  state?: string;
  last?: { version?: string };
}

/** Whether an announcement (or the lack of one) needs the update agent: the running
 *  version is not reported yet, an update is under way, or the manifest is one not seen. */
export function updateNeeded(appVersion: string, value: unknown, reportedOta: unknown): boolean {
  const r = reportedOta as ReportedOta | undefined;
  if (!r || typeof r !== "object" || r.current !== appVersion || (r.state !== "idle" && r.state !== "failed")) return true;
  if (value === undefined || value === null || typeof value !== "object") return false;
  const version = (value as { version?: string }).version;
  return version !== r.current && !(r.last && r.last.version === version);
}

/** An update under way from an earlier boot: a download to resume or a version on trial. */
export function updateUnderWay(store: Store): boolean {
  const pending = "\"pending\":true";
  const a = store.read(SELECTOR_RECORD);
  const b = store.read(SELECTOR_RECORD_2);
  return store.read(PROGRESS_RECORD) !== undefined || (a !== undefined && a.indexOf(pending) >= 0) || (b !== undefined && b.indexOf(pending) >= 0);
}
