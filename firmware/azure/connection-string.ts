// IoT Hub device connection strings, as the portal and `az iot hub device-identity
// connection-string show` print them: `HostName=..;DeviceId=..;[ModuleId=..;]` plus exactly
// one credential, `SharedAccessKey=..` (we mint tokens), `SharedAccessSignature=..` (a
// ready-made token, used until its se) or `x509=true` (empty password; the caller hands the
// certificate and key to TLS). Errors follow firmware/azure/sas.ts: a negative code, no throw.
import {
  ERR_BAD_KEY, ERR_CS_BAD_VALUE, ERR_CS_CONFLICTING_CREDENTIALS, ERR_CS_DUPLICATE_FIELD, ERR_CS_EMPTY_VALUE,
  ERR_CS_MALFORMED, ERR_CS_MISSING_CREDENTIAL, ERR_CS_MISSING_DEVICE_ID, ERR_CS_MISSING_HOST, ERR_CS_UNKNOWN_FIELD,
  ERR_EMPTY_KEY,
} from "../status";
import { base64DecodeLenient } from "./base64";
import { hubResource, sasExpiry, sasToken, type Sha256 } from "./sas";

/** SharedAccessKey: the device signs its own tokens and can renew them. */
export const AUTH_SAS_KEY = 1;
/** SharedAccessSignature: a fixed token, valid until its se, never renewed. */
export const AUTH_SAS_TOKEN = 2;
/** x509=true: the MQTT password is empty and TLS presents a client certificate. */
export const AUTH_X509 = 3;

/** Field names, indexed by the F_* constants below. */
const FIELDS = ["HostName", "DeviceId", "ModuleId", "SharedAccessKey", "SharedAccessSignature", "x509"];
const F_HOST = 0;
const F_DEVICE = 1;
const F_MODULE = 2;
const F_KEY = 3;
const F_TOKEN = 4;
const F_X509 = 5;

export interface ConnectionString {
  hostName: string;
  deviceId: string;
  /** Undefined for a device identity. */
  moduleId?: string;
  /** AUTH_SAS_KEY, AUTH_SAS_TOKEN or AUTH_X509. */
  auth: number;
  /** The base64 key (AUTH_SAS_KEY), else undefined. */
  sharedAccessKey?: string;
  /** The whole `SharedAccessSignature sr=..` token (AUTH_SAS_TOKEN), else undefined. */
  sharedAccessSignature?: string;
}

/** Parses a device or module connection string. Segments are split at ";" (empty ones, as
 *  after a trailing ";", are skipped) and each at its first "=", since keys and tokens
 *  contain "="; names are case-sensitive and surrounding whitespace of the whole text is
 *  ignored. Returns the fields or one of: ERR_CS_MALFORMED, ERR_CS_UNKNOWN_FIELD,
 *  ERR_CS_DUPLICATE_FIELD, ERR_CS_EMPTY_VALUE, ERR_CS_MISSING_HOST, ERR_CS_MISSING_DEVICE_ID,
 *  ERR_CS_MISSING_CREDENTIAL, ERR_CS_CONFLICTING_CREDENTIALS, ERR_CS_BAD_VALUE (x509 not
 *  true/false), ERR_BAD_KEY or ERR_EMPTY_KEY (key not usable), ERR_BAD_TOKEN (signature is
 *  not a SAS token). */
export function parseConnectionString(text: string): ConnectionString | number {
  if (typeof text !== "string") return ERR_CS_MALFORMED;
  const values: Array<string | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined];
  const segments = text.trim().split(";");
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === "") continue;
    const eq = segment.indexOf("=");
    if (eq <= 0) return ERR_CS_MALFORMED;
    const field = FIELDS.indexOf(segment.substring(0, eq));
    if (field < 0) return ERR_CS_UNKNOWN_FIELD;
    if (values[field] !== undefined) return ERR_CS_DUPLICATE_FIELD;
    const value = segment.substring(eq + 1);
    if (value === "") return ERR_CS_EMPTY_VALUE;
    values[field] = value;
  }
  const host = values[F_HOST];
  const device = values[F_DEVICE];
  const module = values[F_MODULE];
  const key = values[F_KEY];
  const token = values[F_TOKEN];
  const x509 = values[F_X509];
  if (host === undefined) return ERR_CS_MISSING_HOST;
  if (device === undefined) return ERR_CS_MISSING_DEVICE_ID;

  let useX509 = false;
  if (x509 !== undefined) {
    const flag = x509.toLowerCase();
    if (flag !== "true" && flag !== "false") return ERR_CS_BAD_VALUE;
    useX509 = flag === "true";
  }
  const credentials = (key === undefined ? 0 : 1) + (token === undefined ? 0 : 1) + (useX509 ? 1 : 0);
  if (credentials === 0) return ERR_CS_MISSING_CREDENTIAL;
  if (credentials > 1) return ERR_CS_CONFLICTING_CREDENTIALS;

  const result: ConnectionString = { hostName: host, deviceId: device, auth: AUTH_X509 };
  if (module !== undefined) result.moduleId = module;
  if (key !== undefined) {
    const bytes = base64DecodeLenient(key);
    if (typeof bytes === "number") return ERR_BAD_KEY;
    if (bytes.length === 0) return ERR_EMPTY_KEY;
    result.auth = AUTH_SAS_KEY;
    result.sharedAccessKey = key;
  } else if (token !== undefined) {
    const expiry = sasExpiry(token);
    if (expiry < 0) return expiry;
    result.auth = AUTH_SAS_TOKEN;
    result.sharedAccessSignature = token;
  }
  return result;
}

/** The hub MQTT password for a parsed connection string: a fresh SAS over hubResource(host,
 *  device, module) expiring at `expirySeconds` (from tokenTimes) for AUTH_SAS_KEY, the given
 *  token for AUTH_SAS_TOKEN (expirySeconds unused; see sasExpiry), and "" for AUTH_X509.
 *  Returns the password or a sasToken error. */
export function hubPassword(cs: ConnectionString, expirySeconds: number, sha256: Sha256): string | number {
  if (cs.auth === AUTH_X509) return "";
  if (cs.auth === AUTH_SAS_TOKEN) return cs.sharedAccessSignature === undefined ? ERR_CS_MISSING_CREDENTIAL : cs.sharedAccessSignature;
  return sasToken(hubResource(cs.hostName, cs.deviceId, cs.moduleId), cs.sharedAccessKey === undefined ? "" : cs.sharedAccessKey, expirySeconds, sha256);
}
