// firmware/azure/identifiers.ts: Azure's rules for device ids, registration ids, DPS
// operation ids and host names, the names that go into client ids, usernames and topics.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isDeviceId, isHostName, isOperationId, isRegistrationId } from "../../firmware/azure/identifiers";

const ids = suite("identifiers");

ids("device ids: letters, digits and - . % _ * ? ! ( ) , : = @ $ ', 1-128 characters", () => {
  for (const good of ["d", "my-device-id1", "A.b%c_d*e?f!g(h)i,j:k=l@m$n'o", "x".repeat(128)]) assert.ok(isDeviceId(good), good);
  for (const bad of ["", "a#b", "a+b", "a/b", "a b", "x".repeat(129), "caf\u00e9", "a&b", "a\u0000", "{x}", "a;b", 7, null, undefined]) {
    assert.not.ok(isDeviceId(bad), String(bad));
  }
});

ids("registration ids: letters, digits and - . _ :, 1-128 characters", () => {
  for (const good of ["dev1", "dev-1.a_b:c", "Dev.7:a_b", "r".repeat(128)]) assert.ok(isRegistrationId(good), good);
  for (const bad of ["", "a b", "a@b", "a/b", "a#", "r".repeat(129), "\u00e9"]) assert.not.ok(isRegistrationId(bad), bad);
});

ids("operation ids: what DPS sends, never & / # + = $ or a space", () => {
  assert.ok(isOperationId("4.d0a671905ea5b2c8.42d78160-4c78-479e-8be7-61d5e55dac0d"));
  for (const bad of ["x&$rid=99/#", "a b", "a+b", "a=b", "", "o".repeat(129)]) assert.not.ok(isOperationId(bad), bad);
});

ids("host names: dot-separated labels of letters, digits and -", () => {
  for (const good of ["contoso.azure-devices.net", "a", "hub-1.azure-devices.cn", "x".repeat(63) + ".net"]) assert.ok(isHostName(good), good);
  for (const bad of ["", "a..b", ".a", "a.", "-a.net", "a-.net", "h/x.net", "a#.net", "a b.net", "x".repeat(64) + ".net", "x.".repeat(127) + "xx"]) {
    assert.not.ok(isHostName(bad), bad);
  }
});

ids.run();
