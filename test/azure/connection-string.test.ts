import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import {
  AUTH_SAS_KEY, AUTH_SAS_TOKEN, AUTH_X509, hubPassword, parseConnectionString, type ConnectionString,
} from "../../firmware/azure/connection-string";
import { hubResource, sasToken } from "../../firmware/azure/sas";
import {
  ERR_BAD_EXPIRY, ERR_BAD_KEY, ERR_BAD_TOKEN, ERR_CS_BAD_VALUE, ERR_CS_CONFLICTING_CREDENTIALS, ERR_CS_DUPLICATE_FIELD, ERR_CS_EMPTY_VALUE,
  ERR_CS_MALFORMED, ERR_CS_MISSING_CREDENTIAL, ERR_CS_MISSING_DEVICE_ID, ERR_CS_MISSING_HOST, ERR_CS_UNKNOWN_FIELD,
} from "../../firmware/status";

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
const KEY = "cGFzc3dvcmQ=";
const TOKEN = "SharedAccessSignature sr=h.azure-devices.net%2Fdevices%2Fd1&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=1700000000";

const parse = suite("parseConnectionString: valid");
parse("device with SharedAccessKey (portal form) -> fields, AUTH_SAS_KEY", () => {
  assert.equal(parseConnectionString(`HostName=my-hub.azure-devices.net;DeviceId=dev-1;SharedAccessKey=${KEY}`), {
    hostName: "my-hub.azure-devices.net", deviceId: "dev-1", auth: AUTH_SAS_KEY, sharedAccessKey: KEY,
  });
});
parse("module with SharedAccessKey -> moduleId set", () => {
  const cs = parseConnectionString(`HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`) as ConnectionString;
  assert.is(cs.moduleId, "m");
  assert.is(cs.auth, AUTH_SAS_KEY);
});
parse("SharedAccessSignature (a ready-made token, '=' inside) -> whole token, AUTH_SAS_TOKEN", () => {
  const cs = parseConnectionString(`HostName=h.azure-devices.net;DeviceId=d1;SharedAccessSignature=${TOKEN}`) as ConnectionString;
  assert.is(cs.auth, AUTH_SAS_TOKEN);
  assert.is(cs.sharedAccessSignature, TOKEN);
  assert.is(cs.sharedAccessKey, undefined);
});
parse("x509=true -> AUTH_X509, no key or token", () => {
  assert.equal(parseConnectionString("HostName=h;DeviceId=d;x509=true"), { hostName: "h", deviceId: "d", auth: AUTH_X509 });
  assert.is((parseConnectionString("HostName=h;DeviceId=d;x509=True") as ConnectionString).auth, AUTH_X509);
});
parse("x509=false with a key -> AUTH_SAS_KEY", () => {
  assert.is((parseConnectionString(`HostName=h;DeviceId=d;x509=false;SharedAccessKey=${KEY}`) as ConnectionString).auth, AUTH_SAS_KEY);
});
parse("any field order, trailing ';', surrounding whitespace -> same fields", () => {
  assert.equal(
    parseConnectionString(`  SharedAccessKey=${KEY};DeviceId=d;HostName=h;\n`),
    parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY}`),
  );
});
parse("unpadded key (as the Node SDK test key 'key') -> accepted", () => {
  assert.is((parseConnectionString("HostName=h;DeviceId=d;SharedAccessKey=key") as ConnectionString).sharedAccessKey, "key");
});
parse.run();

const errors = suite("parseConnectionString: errors");
errors("missing HostName, DeviceId or credential -> its own code", () => {
  assert.is(parseConnectionString(`DeviceId=d;SharedAccessKey=${KEY}`), ERR_CS_MISSING_HOST);
  assert.is(parseConnectionString(`HostName=h;SharedAccessKey=${KEY}`), ERR_CS_MISSING_DEVICE_ID);
  assert.is(parseConnectionString("HostName=h;DeviceId=d"), ERR_CS_MISSING_CREDENTIAL);
  assert.is(parseConnectionString("HostName=h;DeviceId=d;x509=false"), ERR_CS_MISSING_CREDENTIAL);
  assert.is(parseConnectionString(""), ERR_CS_MISSING_HOST);
});
errors("a field twice -> ERR_CS_DUPLICATE_FIELD", () => {
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=${KEY}`), ERR_CS_DUPLICATE_FIELD);
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};SharedAccessKey=${KEY}`), ERR_CS_DUPLICATE_FIELD);
});
errors("unknown or wrongly cased field -> ERR_CS_UNKNOWN_FIELD", () => {
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};GatewayHostName=edge`), ERR_CS_UNKNOWN_FIELD);
  assert.is(parseConnectionString(`hostname=h;DeviceId=d;SharedAccessKey=${KEY}`), ERR_CS_UNKNOWN_FIELD);
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKeyName=owner;SharedAccessKey=${KEY}`), ERR_CS_UNKNOWN_FIELD);
});
errors("empty value -> ERR_CS_EMPTY_VALUE", () => {
  assert.is(parseConnectionString(`HostName=;DeviceId=d;SharedAccessKey=${KEY}`), ERR_CS_EMPTY_VALUE);
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessKey="), ERR_CS_EMPTY_VALUE);
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;ModuleId=;SharedAccessKey=${KEY}`), ERR_CS_EMPTY_VALUE);
});
errors("segment without '=' or with an empty name -> ERR_CS_MALFORMED", () => {
  assert.is(parseConnectionString(`HostName=h;DeviceId;SharedAccessKey=${KEY}`), ERR_CS_MALFORMED);
  assert.is(parseConnectionString(`HostName=h;=d;SharedAccessKey=${KEY}`), ERR_CS_MALFORMED);
});
errors("two credentials -> ERR_CS_CONFLICTING_CREDENTIALS", () => {
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};x509=true`), ERR_CS_CONFLICTING_CREDENTIALS);
  assert.is(parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};SharedAccessSignature=${TOKEN}`), ERR_CS_CONFLICTING_CREDENTIALS);
});
errors("x509 neither true nor false -> ERR_CS_BAD_VALUE", () => {
  assert.is(parseConnectionString("HostName=h;DeviceId=d;x509=yes"), ERR_CS_BAD_VALUE);
});
errors("non-base64 key or a key of only padding -> ERR_BAD_KEY", () => {
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessKey=not base64!"), ERR_BAD_KEY);
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessKey=="), ERR_BAD_KEY);
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessKey===="), ERR_BAD_KEY);
});
errors("SharedAccessSignature that is not a SAS token -> ERR_BAD_TOKEN", () => {
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessSignature=sr=x&sig=y&se=1"), ERR_BAD_TOKEN);
  assert.is(parseConnectionString("HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=x&sig=y"), ERR_BAD_TOKEN);
});
errors.run();

const password = suite("hubPassword");
password("SharedAccessKey module -> fresh SAS over host/devices/device/modules/module", () => {
  const cs = parseConnectionString(`HostName=h.azure-devices.net;DeviceId=d 1;ModuleId=m;SharedAccessKey=${KEY}`) as ConnectionString;
  assert.is(hubPassword(cs, 1700000000, sha256), sasToken(hubResource("h.azure-devices.net", "d 1", "m"), KEY, 1700000000, sha256));
  assert.ok((hubPassword(cs, 1700000000, sha256) as string).startsWith("SharedAccessSignature sr=h.azure-devices.net%2Fdevices%2Fd%201%2Fmodules%2Fm&sig="));
});
password("SharedAccessSignature -> the given token, whatever expiry is asked", () => {
  const cs = parseConnectionString(`HostName=h.azure-devices.net;DeviceId=d1;SharedAccessSignature=${TOKEN}`) as ConnectionString;
  assert.is(hubPassword(cs, 1800000000, sha256), TOKEN);
});
password("x509=true -> empty password", () => {
  assert.is(hubPassword(parseConnectionString("HostName=h;DeviceId=d;x509=true") as ConnectionString, 1700000000, sha256), "");
});
password("bad expiry with a key -> ERR_BAD_EXPIRY from sasToken", () => {
  const cs = parseConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY}`) as ConnectionString;
  assert.is(hubPassword(cs, 0, sha256), ERR_BAD_EXPIRY);
});
password.run();
