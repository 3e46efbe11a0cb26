// The update agent: a sans-I/O state machine for application updates, in the style of
// policy/connection.ts. Events in, actions out, time as arguments, one deadline at a time
// (nextDeadline / tick). States: idle -> downloading -> verifying -> applying (selector
// switched, reboot); failed. Reported: { ota: { current, state, target, progress,
// last: { result, reason, version, code } } }.
//
// Rules:
// - A manifest acts only when it parsed and its authenticator verified (manifest.ts); an
//   unauthenticated one is reported as rejected and changes nothing. An authenticated one
//   replaces any update in progress (reported cancelled) and is installed when newer than
//   the running version, or older with allowDowngrade, and not a version rolled back before.
// - The file goes into the inactive slot chunk by chunk, never whole in RAM. A progress
//   record is saved every progressEveryBytes; a broken download resumes from the last byte
//   written (Range request), after a power loss from the saved record; it restarts from 0
//   when the manifest changed, the server ignored the Range, or Storage refuses the first
//   write of a resume (bytes after the record already on flash, see slots.ts resumeSplit).
//   Failures back off (retryMinMs doubling to retryMaxMs); maxAttempts without a byte of
//   progress fail the update (a later identical announcement, e.g. the twin GET after a
//   reconnect, tries again). Wrong hash, size, 4xx, redirects, write errors fail at once and
//   the same manifest is not tried again.
// - After the switch the new application boots pending: connected() within confirmWindowMs
//   confirms it; past the window the agent asks for a reboot, and the stub gives it another
//   trial boot or rolls back (slots.ts DEFAULT_MAX_TRIES).
//   Announcements that arrive while unconfirmed wait for the confirmation.
//
// Wiring (what the driver does):
//   boot         selector = slots.loadSelector(store) (after the stub's write), progress =
//                slots.parseProgress(store.read(PROGRESS_RECORD)) (a number -> undefined),
//                agent.start(now, selector, progress, BUILD_VERSION)
//   twin         full document: agent.desired(desired.ota, now, true) (undefined when absent);
//                desired patch with an `ota` member: agent.desired(patch.ota, now)
//   hub          CONNACK accepted: agent.connected(now); link lost: agent.disconnected(now)
//   network      agent.networkChanged(up, now); timers: agent.tick(now) at nextDeadline()
//   startDownload(url, offset)  parseUrl(url); open a socket (tls, host, port); write
//                buildRequest(hostHeader(u), u.path, offset); push each chunk into one
//                createResponseParser: headers -> agent.downloadStarted(rangeStart, total, now),
//                body -> agent.bodyChunk(view, now); push() OK -> downloadEnded(true, OK, now),
//                negative -> close, downloadEnded(false, code, now, parser.statusCode());
//                socket closed first -> r = parser.finish(), downloadEnded(r === OK, r, now, ...);
//                socket error -> downloadEnded(false, SOCKET_*, now). Classic ESP32 holds one
//                TLS socket: close the hub link for the download, reopen it after.
//   stopDownload()   close that socket; report nothing more for it.
//   writeChunk(name, bytes, offset, size)  Storage.write(name, E.toString(bytes), offset,
//                size); on refusal at offset > 0, read the region and write from resumeSplit().
//   saveProgress(p)  store.write(PROGRESS_RECORD, encodeProgress(p)), or erase when undefined.
//   hashSlot(name)   SHA-256 over the flash-backed record (crypto.SHA256(Storage.read(name))
//                or readArrayBuffer), then agent.verified(hex); no writes in between.
//   commitSwitch(s)  slots.storeSelector(store, s); when true, reboot; return the result.
//   confirm(s)       slots.storeSelector(store, s); return the result.
//   reboot()         reboot now (the stub counts the trial).  report(patch)  queue reported
//                properties (coalesce ota patches).  log(line)  the HAL log.
//
// The agent in files: agent-state.ts (the OtaAgent class: state, boot, confirmation, timers,
// announcements, reports), agent-install.ts (download, verification, switch, failures: put
// on OtaAgent's prototype, so it is imported here before anyone can use the class),
// agent-report.ts, agent-config.ts and agent-actions.ts.
import "./agent-install";
export { OtaAgent } from "./agent-state";
export * from "./agent-report";
export * from "./agent-config";
export * from "./agent-actions";
