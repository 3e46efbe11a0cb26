// What the driver does for the update agent (agent.ts says how each is wired).
import { Selector, Progress } from "./slots";
import { OtaReport } from "./agent-report";

export interface OtaActions {
  /** Open url (http-request.ts parseUrl / buildRequest) asking for bytes from offset, feed the
   *  response to a parser, and report downloadStarted / bodyChunk / downloadEnded. */
  startDownload(url: string, offset: number): void;
  /** Close the download connection; no further download events for it. */
  stopDownload(): void;
  /** Store a chunk of the slot record (Storage.write(name, data, offset, totalSize)).
   *  false when Storage refused it. */
  writeChunk(slotName: string, bytes: Uint8Array, offset: number, totalSize: number): boolean;
  /** Write the progress record (slots.ts encodeProgress), or erase it when undefined. */
  saveProgress(record: Progress | undefined): void;
  /** SHA-256 of the whole slot record, then verified(hex); may call back at once. */
  hashSlot(slotName: string): void;
  /** Store the selector (slots.ts storeSelector) and reboot. false when the write failed. */
  commitSwitch(selector: Selector): boolean;
  /** Store the confirmed selector (storeSelector). false when the write failed. */
  confirm(selector: Selector): boolean;
  reboot(): void;
  /** A reported-properties patch. */
  report(patch: { ota: OtaReport }): void;
  log(message: string): void;
}
