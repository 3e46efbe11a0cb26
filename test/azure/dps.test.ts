// DPS messages and the response parser, against the test vectors of Azure's SDK for Embedded C
// and broken inputs, each with what is wrong.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  dpsClientId, dpsUsername, dpsRegisterTopic, dpsPollTopic, dpsRegisterPayload, parseDpsResponse, queryValue,
  DpsResponse, DPS_OP_ASSIGNING, DPS_OP_ASSIGNED, DPS_OP_FAILED, DPS_OP_DISABLED, DPS_OP_UNASSIGNED, DPS_SUBSCRIBE_FILTER,
} from "../../firmware/azure/dps";
import { NO_MATCH, ERR_MALFORMED } from "../../firmware/status";

const OPERATION_ID = "4.d0a671905ea5b2c8.42d78160-4c78-479e-8be7-61d5e55dac0d";
const ASSIGNED_PAYLOAD =
  '{"operationId":"4.d0a671905ea5b2c8.42d78160-4c78-479e-8be7-61d5e55dac0d","status":"assigned","registrationState":{"x509":{},"registrationId":"myRegistrationId","createdDateTimeUtc":"2020-04-10T03:11:13.0276997Z","assignedHub":"contoso.azure-devices.net","deviceId":"my-device-id1","status":"assigned","substatus":"initialAssignment","lastUpdatedDateTimeUtc":"2020-04-10T03:11:13.2096201Z","etag":"IjYxMDA4ZDQ2LTAwMDAtMDEwMC0wMDAwLTVlOGZlM2QxMDAwMCI="}}';

function ok(r: DpsResponse | number): DpsResponse {
  assert.type(r, "object", `expected a response, got status ${r}`);
  return r as DpsResponse;
}

const build = suite("dps: building messages");

build("client id, username, with client version", () => {
  assert.is(dpsClientId("myRegistrationId"), "myRegistrationId");
  assert.is(dpsUsername("0neFEEDC0DE", "myRegistrationId"), "0neFEEDC0DE/registrations/myRegistrationId/api-version=2019-03-31");
  assert.is(dpsUsername("0neFEEDC0DE", "myRegistrationId", "c/1.2.3"), "0neFEEDC0DE/registrations/myRegistrationId/api-version=2019-03-31&ClientVersion=c/1.2.3");
});

build("topics: subscribe, register, poll", () => {
  assert.is(DPS_SUBSCRIBE_FILTER, "$dps/registrations/res/#");
  assert.is(dpsRegisterTopic("1"), "$dps/registrations/PUT/iotdps-register/?$rid=1");
  assert.is(dpsPollTopic("1", OPERATION_ID), "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=1&operationId=" + OPERATION_ID);
});

build("register payload, plain and with custom JSON copied verbatim", () => {
  assert.is(dpsRegisterPayload("myRegistrationId"), '{"registrationId":"myRegistrationId"}');
  assert.is(dpsRegisterPayload("myRegistrationId", '{"testData":1, "testData2":{"a":"b"}}'),
    '{"registrationId":"myRegistrationId","payload":{"testData":1, "testData2":{"a":"b"}}}');
  assert.is(dpsRegisterPayload('a"b\\c'), '{"registrationId":"a\\"b\\\\c"}', "quotes and backslashes escaped");
});

build.run();

const parse = suite("dps: parsing responses");

parse("202 assigning with retry-after 3 -> ASSIGNING, retry 3 s", () => {
  const r = ok(parseDpsResponse("$dps/registrations/res/202/?$rid=1&retry-after=3", `{"operationId":"${OPERATION_ID}","status":"assigning"}`));
  assert.is(r.status, 202);
  assert.is(r.rid, "1");
  assert.is(r.retryAfterSeconds, 3);
  assert.is(r.operationStatus, DPS_OP_ASSIGNING);
  assert.is(r.operationId, OPERATION_ID);
});

parse("retry-after first in the query -> still found", () => {
  const r = ok(parseDpsResponse("$dps/registrations/res/429/?retry-after=7&$rid=9", ""));
  assert.is(r.retryAfterSeconds, 7);
  assert.is(r.rid, "9");
  assert.is(r.operationStatus, DPS_OP_FAILED, "an error status without a body is a failure");
  assert.is(r.errorClass, 429);
});

parse("200 assigned (full reference payload) -> hub and device id", () => {
  const r = ok(parseDpsResponse("$dps/registrations/res/200/?$rid=1", ASSIGNED_PAYLOAD));
  assert.is(r.status, 200);
  assert.is(r.retryAfterSeconds, 0);
  assert.is(r.operationStatus, DPS_OP_ASSIGNED);
  assert.is(r.assignedHub, "contoso.azure-devices.net");
  assert.is(r.deviceId, "my-device-id1");
});

parse("401 with errorCode 401002 -> FAILED, class 401, empty operation id", () => {
  const r = ok(parseDpsResponse("$dps/registrations/res/401/?$rid=1",
    '{"errorCode":401002,"trackingId":"8ad0463c-6427-4479-9dfa-3e8bb7003e9b","message":"Invalid certificate.","timestampUtc":"2020-04-10T05:24:22.4718526Z"}'));
  assert.is(r.status, 401);
  assert.is(r.operationStatus, DPS_OP_FAILED);
  assert.is(r.errorCode, 401002);
  assert.is(r.errorClass, 401);
  assert.is(r.operationId, "");
  assert.is(r.trackingId, "8ad0463c-6427-4479-9dfa-3e8bb7003e9b");
  assert.is(r.message, "Invalid certificate.");
});

parse("topic status and operation status are independent: 200 carrying failed", () => {
  const r = ok(parseDpsResponse("$dps/registrations/res/200/?$rid=1",
    '{"operationId":"x","status":"failed","registrationState":{"errorCode":400207,"errorMessage":"Custom allocation failed"}}'));
  assert.is(r.status, 200);
  assert.is(r.operationStatus, DPS_OP_FAILED);
  assert.is(r.errorCode, 400207);
  assert.is(r.message, "Custom allocation failed");
});

parse("disabled and unassigned statuses", () => {
  assert.is(ok(parseDpsResponse("$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"disabled"}')).operationStatus, DPS_OP_DISABLED);
  assert.is(ok(parseDpsResponse("$dps/registrations/res/202/?$rid=1", '{"operationId":"x","status":"unassigned"}')).operationStatus, DPS_OP_UNASSIGNED);
});

parse("topics that are not DPS responses -> NO_MATCH", () => {
  assert.is(parseDpsResponse("$dps/registrations/unknown", "{}"), NO_MATCH);
  assert.is(parseDpsResponse("$iothub/twin/res/200/?$rid=1", "{}"), NO_MATCH);
  assert.is(parseDpsResponse("devices/x/messages/devicebound/", ""), NO_MATCH);
});

const broken: Array<[string, string, string]> = [
  ["$dps/registrations/res/abc/?$rid=1", "{}", "status is not a number"],
  ["$dps/registrations/res//?$rid=1", "{}", "status is empty"],
  ["$dps/registrations/res/99/?$rid=1", "{}", "status below 100"],
  ["$dps/registrations/res/202/?$rid=1&retry-after=soon", '{"operationId":"x","status":"assigning"}', "retry-after is not a number"],
  ["$dps/registrations/res/202/?$rid=1&retry-after=-1", '{"operationId":"x","status":"assigning"}', "negative retry-after"],
  ["$dps/registrations/res/200/?$rid=1", "not json", "a success without a readable body"],
  ["$dps/registrations/res/200/?$rid=1", "", "a success with no body"],
  ["$dps/registrations/res/200/?$rid=1", "[1,2]", "body is an array"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"exploded"}', "unknown status string"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":"hub"}', "registrationState not an object"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h.azure-devices.net"}}', "hub without device id"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"deviceId":"d"}}', "device id without hub"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned"}', "assigned without a hub"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":7,"status":"assigning"}', "operationId is not a string"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":5,"deviceId":"d"}}', "hub is not a string"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x"}', "success without status or error code"],
  ["$dps/registrations/res/401/?$rid=1", '{"errorCode":"bad"}', "errorCode is not a number"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"' + "x".repeat(600) + '","status":"assigning"}', "operation id over the bound"],
  // Names that go into topics, client ids and usernames (firmware/azure/identifiers.ts).
  ["$dps/registrations/res/202/?$rid=1", '{"operationId":"x&$rid=99/#","status":"assigning"}', "operation id with & $ / #"],
  ["$dps/registrations/res/202/?$rid=1", '{"operationId":"a b","status":"assigning"}', "operation id with a space"],
  ["$dps/registrations/res/202/?$rid=1", '{"operationId":"' + "x".repeat(129) + '","status":"assigning"}', "operation id of 129 characters"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h.azure-devices.net","deviceId":"d/#+"}}', "assigned device id d/#+"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h.azure-devices.net","deviceId":"' + "d".repeat(129) + '"}}', "assigned device id of 129 characters"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h.azure-devices.net","deviceId":"caf\\u00e9"}}', "assigned device id not ASCII"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h/x#.azure-devices.net","deviceId":"d"}}', "assigned hub with / and #"],
  ["$dps/registrations/res/200/?$rid=1", '{"operationId":"x","status":"assigned","registrationState":{"assignedHub":"h..azure-devices.net","deviceId":"d"}}', "assigned hub with an empty label"],
];
for (const [topic, payload, why] of broken) {
  parse(`${why} -> ERR_MALFORMED, no exception`, () => {
    assert.is(parseDpsResponse(topic, payload), ERR_MALFORMED);
  });
}

parse("names by Azure's rules are accepted: a device id with all its punctuation, a 128-character id", () => {
  const id = "a-.%_*?!(),:=@$'Z9";
  const r = ok(parseDpsResponse("$dps/registrations/res/200/?$rid=1", JSON.stringify({ operationId: "4.d0a6.42d7-4c78:x_y~z", status: "assigned", registrationState: { assignedHub: "my-hub.azure-devices.net", deviceId: id } })));
  assert.is(r.deviceId, id);
  assert.is(ok(parseDpsResponse("$dps/registrations/res/200/?$rid=1", JSON.stringify({ operationId: "x", status: "assigned", registrationState: { assignedHub: "h.azure-devices.net", deviceId: "d".repeat(128) } }))).deviceId.length, 128);
});

parse("query values are matched by whole names", () => {
  assert.is(queryValue("$rid=1&xretry-after=5&retry-after=6", "retry-after"), "6");
  assert.is(queryValue("a=1", "b"), undefined);
  assert.is(queryValue("a=", "a"), "");
});

parse.run();
