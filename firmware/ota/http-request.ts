// The request side of the update download's HTTP/1.1 GET client (RFC 9110, RFC 9112): URL
// parsing and the request text, which the driver writes to its socket. The response is read
// by http-response.ts.
import { ERR_OTA_URL } from "../status";

export interface Url {
  tls: boolean;
  /** Lower case. */
  host: string;
  port: number;
  /** Path and query as sent in the request line; "/" at least. */
  path: string;
}

const MAX_HOST = 253;

/**
 * Splits an http:// or https:// URL. Refuses user info, IPv6 literals, a bad port and any
 * character outside printable ASCII (a CR or LF would inject request headers). The fragment
 * is dropped. Returns the parts or ERR_OTA_URL.
 */
export function parseUrl(url: string): Url | number {
  let tls: boolean;
  let i: number;
  const scheme = url.substr(0, 8).toLowerCase();
  if (scheme === "https://") {
    tls = true;
    i = 8;
  } else if (scheme.substr(0, 7) === "http://") {
    tls = false;
    i = 7;
  } else return ERR_OTA_URL;
  for (let k = 0; k < url.length; k++) {
    const c = url.charCodeAt(k);
    if (c < 0x21 || c > 0x7e) return ERR_OTA_URL;
  }
  const hash = url.indexOf("#");
  const end = hash < 0 ? url.length : hash;
  let authorityEnd = i;
  while (authorityEnd < end) {
    const c = url.charCodeAt(authorityEnd);
    if (c === 47 || c === 63) break; // "/" or "?"
    authorityEnd++;
  }
  const authority = url.substring(i, authorityEnd);
  const colon = authority.indexOf(":");
  const host = (colon < 0 ? authority : authority.substring(0, colon)).toLowerCase();
  if (host.length === 0 || host.length > MAX_HOST || host.charCodeAt(0) === 46 || host.charCodeAt(host.length - 1) === 46 || host.indexOf("..") >= 0) {
    return ERR_OTA_URL;
  }
  for (let k = 0; k < host.length; k++) {
    const c = host.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46)) return ERR_OTA_URL;
  }
  let port = tls ? 443 : 80;
  if (colon >= 0) {
    const digits = authority.substring(colon + 1);
    if (digits.length === 0 || digits.length > 5) return ERR_OTA_URL;
    port = 0;
    for (let k = 0; k < digits.length; k++) {
      const c = digits.charCodeAt(k);
      if (c < 48 || c > 57) return ERR_OTA_URL;
      port = port * 10 + (c - 48);
    }
    if (port < 1 || port > 65535) return ERR_OTA_URL;
  }
  let path = url.substring(authorityEnd, end);
  if (path.length === 0) path = "/";
  else if (path.charCodeAt(0) === 63) path = "/" + path;
  return { tls: tls, host: host, port: port, path: path };
}

/** The Host header value for u: the host, with ":port" when it is not the scheme's default. */
export function hostHeader(u: Url): string {
  return u.port === (u.tls ? 443 : 80) ? u.host : u.host + ":" + u.port;
}

/** A GET request for path on host (a hostHeader() value). A Range header asks for bytes from
 *  rangeStart (to rangeEndInclusive when given); none is sent for a whole file from 0. */
export function buildRequest(host: string, path: string, rangeStart: number, rangeEndInclusive?: number): string {
  let range = "";
  if (rangeStart > 0 || rangeEndInclusive !== undefined) {
    range = "Range: bytes=" + rangeStart + "-" + (rangeEndInclusive !== undefined ? String(rangeEndInclusive) : "") + "\r\n";
  }
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: espruino-azure-iot-ota/1\r\nAccept-Encoding: identity\r\n" +
    range + "Connection: close\r\n\r\n";
}
