// Azure's rules for the names that go into MQTT client ids, usernames and topics. A name
// outside them is refused where it enters: a configuration error from the user, a protocol
// error from the service. So `#`, `+`, `/`, `&`, spaces and non-ASCII never reach a topic.
// Pure; a loop over character codes (no regex quantifiers, the same on every build).

/** Device and module ids: case-sensitive, 1-128 characters of ASCII letters, digits and these. */
const DEVICE_ID_PUNCTUATION = "-.%_*?!(),:=@$'";
/** DPS registration ids: 1-128 letters, digits and these (DPS compares them without case). */
const REGISTRATION_ID_PUNCTUATION = "-._:";
/** DPS operation ids (e.g. 4.d0a671905ea5b2c8.42d78160-4c78-...): URL-unreserved characters. */
const OPERATION_ID_PUNCTUATION = "-._~:";
export const MAX_ID_LENGTH = 128;
const MAX_HOST_LENGTH = 253;

/** True for 1..max characters, each an ASCII letter or digit or one of `extra`. */
function isName(v: unknown, extra: string, max: number): boolean {
  if (typeof v !== "string" || v.length < 1 || v.length > max) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const folded = c | 32; // A-Z onto a-z
    if ((folded >= 97 && folded <= 122) || (c >= 48 && c <= 57)) continue;
    if (c > 126 || extra.indexOf(v.charAt(i)) < 0) return false;
  }
  return true;
}

export function isDeviceId(v: unknown): boolean {
  return isName(v, DEVICE_ID_PUNCTUATION, MAX_ID_LENGTH);
}

export function isRegistrationId(v: unknown): boolean {
  return isName(v, REGISTRATION_ID_PUNCTUATION, MAX_ID_LENGTH);
}

export function isOperationId(v: unknown): boolean {
  return isName(v, OPERATION_ID_PUNCTUATION, MAX_ID_LENGTH);
}

/** A DNS host name: dot-separated labels of letters, digits and `-`, at most 253 characters. */
export function isHostName(v: unknown): boolean {
  if (!isName(v, "-.", MAX_HOST_LENGTH)) return false;
  const s = v as string;
  let label = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charAt(i) === ".") {
      if (label === 0 || label > 63 || s.charAt(i - 1) === "-" || s.charAt(i - label) === "-") return false;
      label = 0;
    } else label++;
  }
  return true;
}
