// The type and range of every typed setting of the device configuration, as one table read
// by one function: resolveConfig (firmware/config.ts) on the device, and through it
// make-config and flash on the desktop, so all three accept exactly the same values. A value
// of the wrong type or out of range comes back as a listed problem, never an exception.
// The table is a string inside the function: it costs nothing until the check runs.

/** The rows: "path kind [min max]". kind: o object, b true/false, bo true/false or an object,
 *  i whole number, n number.
 *  Strings and lists have their own checks in firmware/config.ts. */
export function configRules(): string[] {
  return ("dps o;dps.payload o;retry o;fleet o;outbox o;ota o;wifi o;hosts o;tls bo;tls.requireVerified b;retry.stopOnRetryExpired b;" +
    "port i 1 65535;" +
    // 1177 s is the hub's ceiling (its timeout is 1.5 x keep-alive, capped at 1767 s).
    "keepAliveSeconds i 10 1177;tokenLifetimeSeconds i 300 86400;" +
    "retry.maxAttempts i 0 1000000;retry.operationTimeoutSeconds i 10 2592000;retry.hubMinGapSeconds i 0 3600;" +
    // Fleet sizes and service rates: a fleet beyond these is a typo.
    "fleet.devices i 1 10000000;fleet.hubConnectionsPerSecond n 1 100000;fleet.dpsRegistrationsPerMinute n 10 1000000;fleet.load n 0.01 1;" +
    "outbox.maxMessages i 1 10000;outbox.maxBytes i 256 16777216;outbox.persist b;outbox.maxFlashBytes i 8192 524288;maxInboundBytes i 512 262144;methodTimeoutSeconds i 1 300;" +
    // The boot stub's own guard reboots a pending app at 15 minutes.
    "ota.confirmWindowSeconds i 60 600;ota.maxBytes i 1024 4194304;" +
    "watchdogSeconds i 0 3600;statusIntervalSeconds i 1 86400;telemetryIntervalSeconds i 0 86400").split(";");
}

/** The problem with one value under one row ("" when it fits). */
export function ruleProblem(row: string, v: unknown): string {
  const f = row.split(" ");
  const kind = f[1];
  if (kind === "o") return v !== null && typeof v === "object" && !Array.isArray(v) ? "" : f[0] + " must be a JSON object";
  if (kind === "b") return typeof v === "boolean" ? "" : f[0] + " must be true or false";
  if (kind === "bo") return typeof v === "boolean" || (v !== null && typeof v === "object" && !Array.isArray(v)) ? "" : f[0] + " must be true, false or a JSON object";
  const min = Number(f[2]);
  const max = Number(f[3]);
  const whole = kind === "i";
  if (typeof v === "number" && v >= min && v <= max && (!whole || v === Math.floor(v))) return "";
  return f[0] + " must be " + (whole ? "a whole number" : "a number") + " from " + f[2] + " to " + f[3];
}

/** Every problem of type or range in a configuration object. A setting inside an object
 *  that is itself wrong is not looked at (the object is the problem). */
export function configProblems(c: { [k: string]: unknown }): string[] {
  const rules = configRules();
  const out: string[] = [];
  for (let i = 0; i < rules.length; i++) {
    const row = rules[i];
    const path = row.substring(0, row.indexOf(" "));
    const dot = path.indexOf(".");
    let v: unknown;
    if (dot < 0) v = c[path];
    else {
      const parent = c[path.substring(0, dot)] as { [k: string]: unknown } | null | undefined;
      if (parent === null || typeof parent !== "object" || Array.isArray(parent)) continue;
      v = parent[path.substring(dot + 1)];
    }
    if (v === undefined) continue;
    const problem = ruleProblem(row, v);
    if (problem !== "") out.push(problem);
  }
  return out;
}
