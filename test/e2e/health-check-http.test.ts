import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { Problem } from "../../src/shared/edge/problem.ts";
import type { HealthReport } from "../../src/shared/operations/health-check/report.ts";
import { tokenFor } from "../support/incidents.ts";
import { outboxMessages, postJson as postAnonymous, startTestStack } from "../support/stack.ts";

let stack: LocalStack;
let api: string;
let reader: string;

beforeAll(async () => {
  stack = await startTestStack();
  api = `${stack.hostUrl}/api`;
  reader = await tokenFor(stack, "reader");
});

/** As an Ops.Reader: running the read-only health check and reading its history need that role. */
function postJson(url: string, body: unknown): Promise<Response> {
  return postAnonymous(url, body, { authorization: `Bearer ${reader}` });
}

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization: `Bearer ${reader}`, ...init.headers } });
}
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.estate.setScenario("healthy");
  stack.estate.clearFaults();
});

async function check(body: unknown = { environment: "prod" }): Promise<HealthReport> {
  const response = await postJson(`${api}/health-checks`, body);
  expect(response.status).toBe(200);
  return (await response.json()) as HealthReport;
}

function signal(report: HealthReport, component: string, name: string) {
  const found = report.components.find((c) => c.name === component)?.signals.find((s) => s.name === name);
  if (!found) throw new Error(`no signal ${component}.${name}`);
  return found;
}

describe("POST /api/health-checks through the local host", () => {
  it("reports the healthy demo estate as ok with every signal measured", async () => {
    const report = await check({ environment: "prod", components: "webapp,api,database" });
    expect(report.status).toBe("ok");
    expect(report.trigger).toBe("http");
    for (const component of report.components) {
      for (const s of component.signals) {
        expect(s.status, `${component.name}.${s.name}: ${s.reason}`).toBe("ok");
      }
    }
    expect(signal(report, "webapp", "responseTime").value).toBeGreaterThan(0);
    expect(report.notification).toBeNull();
  });

  it.each([
    ["webapp-errors", "webapp", "errorRate", "critical"],
    ["webapp-errors", "webapp", "probe", "critical"],
    ["api-slow", "api", "latency", "critical"],
    ["db-pool-exhausted", "database", "connectionPool", "critical"],
    ["db-pool-exhausted", "database", "failedConnections", "critical"],
    ["metrics-missing", "webapp", "responseTime", "unknown"],
    ["metrics-missing", "database", "queryCpu", "unknown"],
    ["resource-missing", "database", "availability", "unknown"],
  ] as const)("scenario %s makes %s.%s %s", async (scenario, component, name, expected) => {
    stack.estate.setScenario(scenario);
    const report = await check({ environment: "prod", notify: false });
    expect(signal(report, component, name).status).toBe(expected);
    expect(report.status).toBe(expected === "critical" ? "critical" : report.status);
  });

  it("says why a component whose resource does not exist is unknown, and still checks the others", async () => {
    stack.estate.setScenario("resource-missing");
    const report = await check({ environment: "prod", notify: false });
    const database = report.components.find((c) => c.name === "database")!;
    expect(database.status).toBe("unknown");
    expect(database.signals[0]!.reason).toBe("the resource does not exist");
    expect(report.components.filter((c) => c.name !== "database").every((c) => c.status === "ok")).toBe(true);
  });

  it("emails the recipients once when the run is not ok, with the values escaped", async () => {
    const before = (await outboxMessages(stack)).length;
    stack.estate.setScenario("webapp-errors");
    const report = await check();
    expect(report.status).toBe("critical");
    expect(report.notification).toEqual({ sent: true, recipients: ["ops@phoenixvc.tech"] });
    const messages = await outboxMessages(stack);
    expect(messages.length).toBe(before + 1);
    const email = messages.at(-1)!;
    expect(email).toMatch(/^To: <?ops@phoenixvc\.tech>?/m);
    expect(email).toMatch(/^Subject: \[CRITICAL\] prod health check: webapp critical/m);
    expect(email).toContain("text/html");
  });

  it("keeps every run in the history, newest first, and returns each by id", async () => {
    const first = await check({ environment: "prod", components: ["api"] });
    const second = await check({ environment: "prod", components: ["database"] });
    const list = await get(`${api}/health-checks?environment=prod&limit=2`);
    expect(list.status).toBe(200);
    const { runs } = (await list.json()) as { runs: { runId: string }[] };
    expect(runs.map((r) => r.runId)).toEqual([second.runId, first.runId]);
    const one = await get(`${api}/health-checks/prod/${first.runId}`);
    expect(((await one.json()) as HealthReport).components.map((c) => c.name)).toEqual(["api"]);
    expect((await get(`${api}/health-checks/prod/20990101T000000-deadbeef`)).status).toBe(404);
  });

  it("rides out a 429 storm from Resource Manager by honouring Retry-After", async () => {
    stack.estate.addFault({
      pathPattern: "/providers/Microsoft\\.Web/sites$",
      method: "GET",
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    const before = stack.estate.stats().faults;
    const report = await check({ environment: "prod", notify: false });
    expect(stack.estate.stats().faults - before).toBe(2);
    expect(signal(report, "webapp", "availability").status).toBe("ok");
  });

  it("turns an Azure service that keeps failing into unknown signals naming the cause, not a hang", async () => {
    stack.estate.addFault({ pathPattern: "metrics:getBatch", status: 503, retryAfterSeconds: 0 });
    const report = await check({ environment: "prod", notify: false });
    const latency = signal(report, "api", "latency");
    expect(latency.status).toBe("unknown");
    expect(latency.reason).toMatch(/metrics could not be read: Azure answered 503/);
    expect(signal(report, "api", "probe").status).toBe("ok");
  });
});

describe("bad requests get a problem+json answer naming the field", () => {
  async function problem(response: Response, status: number): Promise<Problem> {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    return (await response.json()) as Problem;
  }

  it("requires an environment that is a name", async () => {
    const body = await problem(await postJson(`${api}/health-checks`, { environment: "" }), 400);
    expect(body.errors?.map((e) => e.field)).toEqual(["environment"]);
  });

  it("rejects a wrongly typed or unknown field", async () => {
    const wrongType = await problem(
      await postJson(`${api}/health-checks`, { environment: "prod", components: 7 }),
      400,
    );
    expect(wrongType.errors?.[0]?.field).toBe("components");
    const unknown = await problem(
      await postJson(`${api}/health-checks`, { environment: "prod", verbose: true }),
      400,
    );
    expect(unknown.detail).toContain("verbose");
  });

  it("rejects a body that is not JSON", async () => {
    const body = await problem(await postJson(`${api}/health-checks`, "{not json"), 400);
    expect(body.errors?.[0]?.field).toBe("(body)");
    await problem(
      await get(`${api}/health-checks`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x",
      }),
      415,
    );
  });

  it("refuses an oversized body with 413", async () => {
    await problem(
      await postJson(`${api}/health-checks`, { environment: "prod", pad: "x".repeat(300_000) }),
      413,
    );
  });

  it("names unknown environments and components", async () => {
    const env = await problem(await postJson(`${api}/health-checks`, { environment: "qa" }), 404);
    expect(env.detail).toContain('unknown environment "qa"');
    const comp = await problem(
      await postJson(`${api}/health-checks`, { environment: "prod", components: "webapp,cache" }),
      400,
    );
    expect(comp.errors?.[0]).toMatchObject({ field: "components" });
    expect(comp.detail).toContain('"cache"');
  });

  it("validates the history query", async () => {
    const missing = await problem(await get(`${api}/health-checks?environment=`), 400);
    expect(missing.errors?.[0]?.field).toBe("environment");
    for (const text of ["1e2", "0x10", "2.5", " 5"]) {
      const odd = await problem(
        await get(`${api}/health-checks?environment=prod&limit=${encodeURIComponent(text)}`),
        400,
      );
      expect(odd.errors?.[0]?.field).toBe("limit");
    }
    const unknownParameter = await problem(await get(`${api}/health-checks?environment=prod&verbose=1`), 400);
    expect(unknownParameter.detail).toContain("verbose");
    const limit = await problem(await get(`${api}/health-checks?environment=prod&limit=0`), 400);
    expect(limit.errors?.[0]?.field).toBe("limit");
  });
});

describe("names from outside never reach a plain-object lookup", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "%s is an unknown environment and an unknown component on every route",
    async (name) => {
      const run = await postJson(`${api}/health-checks`, { environment: name });
      expect(run.status).toBe(404);
      expect(((await run.json()) as Problem).detail).toContain(`unknown environment "${name}"`);
      const component = await postJson(`${api}/health-checks`, { environment: "prod", components: [name] });
      expect(component.status).toBe(400);
      expect(((await component.json()) as Problem).detail).toContain(`"${name}"`);
      expect((await get(`${api}/health-checks?environment=${name}`)).status).toBe(404);
      expect((await get(`${api}/health-checks/${name}/20990101T000000-deadbeef`)).status).toBe(404);
    },
  );

  it("an empty component list is refused, not read as every component", async () => {
    const response = await postJson(`${api}/health-checks`, { environment: "prod", components: ",," });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors?.[0]?.field).toBe("components");
  });
});

describe("who may call the health-check endpoints", () => {
  const routes = [
    ["POST", "/health-checks"],
    ["GET", "/health-checks?environment=prod"],
    ["GET", "/health-checks/prod/20990101T000000-deadbeef"],
  ] as const;

  it.each(routes)(
    "%s %s: no token 401, no role 403, Ops.Reader and Ops.Operator get in",
    async (method, path) => {
      const call = (token: string | null) =>
        fetch(`${api}${path}`, {
          method,
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(method === "POST"
            ? { body: JSON.stringify({ environment: "prod", notify: false, record: false }) }
            : {}),
        });
      expect((await call(null)).status).toBe(401);
      expect((await call(await tokenFor(stack, "noRoles"))).status).toBe(403);
      const allowed = method === "GET" && path.includes("deadbeef") ? 404 : 200;
      expect((await call(reader)).status).toBe(allowed);
      expect((await call(await tokenFor(stack, "operator"))).status).toBe(allowed);
    },
  );
});
