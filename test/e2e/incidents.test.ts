import { readFileSync, readdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClients } from "../../local/estate/auth/app-registrations.ts";
import { mintTestToken } from "../../local/estate/auth/test-tokens.ts";
import type { LocalStack } from "../../local/stack.ts";
import type { Incident } from "../../src/shared/incidents/model.ts";
import { alertKeyOf } from "../../src/shared/operations/incidents/intake.ts";
import { queueNames } from "../../src/shared/ports/work-queue.ts";
import { type CliResult, outboxMessages, runCli, startTestStack } from "../support/stack.ts";
import {
  api,
  demo,
  eventually,
  incidentWithHistory,
  listIncidents,
  metricAlert,
  postAlert,
  tokenFor,
} from "../support/incidents.ts";

let stack: LocalStack;
let reader: string;
let operator: string;

beforeAll(async () => {
  stack = await startTestStack({
    policy: (policy) => ({
      ...policy,
      alertRules: [
        ...(policy.alertRules ?? []),
        {
          name: "api-on-call",
          action: { type: "email", recipients: ["api-team@phoenixvc.tech"] },
          escalationPolicy: "on-call",
        },
      ],
      escalationPolicies: {
        "on-call": {
          levels: [
            { recipients: ["first-line@phoenixvc.tech"], minutesToAcknowledge: 5 },
            { recipients: ["second-line@phoenixvc.tech"], minutesToAcknowledge: 10 },
          ],
          repeat: 0,
        },
      },
      maintenanceWindows: [
        {
          name: "db-upgrade",
          environment: "prod",
          resources: ["database"],
          start: "2026-01-01T00:00:00Z",
          end: "2099-01-01T00:00:00Z",
        },
      ],
      incidents: { defaultRecipients: ["ops@phoenixvc.tech"], digestThreshold: 1000 },
    }),
  });
  [reader, operator] = await Promise.all([tokenFor(stack, "reader"), tokenFor(stack, "operator")]);
});
afterAll(async () => {
  await stack?.close();
});

async function incidentFor(
  rule: string,
  predicate: (i: Incident) => boolean = () => true,
): Promise<Incident> {
  return eventually(
    async () => (await listIncidents(stack, reader)).find((i) => i.rule === rule && predicate(i)),
    `incident for ${rule}`,
  );
}

async function emailsTo(address: string): Promise<string[]> {
  return (await outboxMessages(stack)).filter((m) =>
    new RegExp(`^To:.*${address.replace(/[.@]/g, "\\$&")}`, "m").test(m),
  );
}

describe("the action group webhook", () => {
  it("turns every official sample payload into an incident", async () => {
    const dir = "test/fixtures/azure/alerts";
    const samples = readdirSync(dir).filter((f) => f.endsWith(".json"));
    for (const file of samples) {
      const response = await postAlert(stack, JSON.parse(readFileSync(`${dir}/${file}`, "utf8")));
      expect(response.status, file).toBe(202);
      expect(((await response.json()) as { recognized: boolean }).recognized, file).toBe(true);
    }
    // The resolved VM sample resolves nothing, the others open an incident each.
    const rules = ["test-metricAlertRule", "test-logAlertRule-v2"];
    for (const rule of rules) await incidentFor(rule);
  });

  it("opens an incident on fire, adds repeats, and resolves it itself when every alert resolves", async () => {
    const rule = `cpu-${randomUUID().slice(0, 6)}`;
    const first = metricAlert({ rule, alertId: randomUUID(), target: demo.plan });
    const second = metricAlert({ rule, alertId: randomUUID(), target: demo.plan, value: 97 });
    expect((await postAlert(stack, first)).status).toBe(202);
    const opened = await incidentFor(rule);
    expect(opened).toMatchObject({ status: "open", priority: "high", environment: "prod", alertCount: 1 });
    await eventually(
      async () => (await emailsTo("ops@phoenixvc.tech")).some((m) => m.includes(opened.id)),
      "the opening email",
    );

    await postAlert(stack, second);
    await incidentFor(rule, (i) => i.alertCount === 2);
    await postAlert(stack, {
      ...first,
      data: {
        ...(first.data as object),
        essentials: { ...(first.data as { essentials: object }).essentials, monitorCondition: "Resolved" },
      },
    });
    const half = await incidentFor(rule, (i) => i.alertCount === 3);
    expect(half.status).toBe("open");
    await postAlert(
      stack,
      metricAlert({
        rule,
        alertId: (second.data as { essentials: { alertId: string } }).essentials.alertId.split("/").pop()!,
        target: demo.plan,
        condition: "Resolved",
      }),
    );
    const resolved = await incidentFor(rule, (i) => i.status === "resolved");
    expect(resolved.resolvedBy).toContain("auto");
    const { history } = await incidentWithHistory(stack, reader, resolved.id);
    expect(history.map((e) => e.type)).toEqual(
      expect.arrayContaining(["opened", "notified", "auto-resolved"]),
    );

    // The key is free again: the next fire opens a new incident.
    await postAlert(stack, metricAlert({ rule, alertId: randomUUID(), target: demo.plan }));
    await incidentFor(rule, (i) => i.status === "open" && i.id !== resolved.id);
  });

  it("processes a retried or duplicated delivery once, even when the copies arrive together", async () => {
    const rule = `dup-${randomUUID().slice(0, 6)}`;
    const payload = metricAlert({ rule, alertId: randomUUID(), target: demo.web });
    const answers = await Promise.all(Array.from({ length: 8 }, () => postAlert(stack, payload)));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const incident = await incidentFor(rule);
    await new Promise((r) => setTimeout(r, 2500));
    const all = (await listIncidents(stack, reader)).filter((i) => i.rule === rule);
    expect(all).toHaveLength(1);
    expect(all[0]!.alertCount).toBe(1);
    expect((await emailsTo("ops@phoenixvc.tech")).filter((m) => m.includes(incident.id))).toHaveLength(1);
  });

  it("groups concurrent distinct alerts of one rule and target into one incident without losing a count", async () => {
    const rule = `burst-${randomUUID().slice(0, 6)}`;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        postAlert(stack, metricAlert({ rule, alertId: randomUUID(), target: demo.api })),
      ),
    );
    const incident = await incidentFor(rule, (i) => i.alertCount === 12);
    expect((await listIncidents(stack, reader)).filter((i) => i.rule === rule)).toHaveLength(1);
    expect(incident.activeAlerts).toHaveLength(12);
  });

  it("still processes a one-delivery message queued by an earlier version of the app", async () => {
    const rule = `legacy-${randomUUID().slice(0, 6)}`;
    const payload = metricAlert({ rule, alertId: randomUUID(), target: demo.web });
    const raw = JSON.stringify(payload);
    const { key } = alertKeyOf(payload);
    const queue = new QueueClient(stack.azurite.connectionString, queueNames.alerts);
    await queue.sendMessage(Buffer.from(JSON.stringify({ key, raw })).toString("base64"));

    const incident = await incidentFor(rule);
    expect(incident.alertCount).toBe(1);
  });

  it("keeps and reports a JSON payload it does not recognise", async () => {
    const response = await postAlert(stack, { hello: "world", from: `mystery-${randomUUID()}` });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ recognized: false });
    const incident = await incidentFor("unrecognized-payload", (i) =>
      (i.description ?? "").includes("mystery-"),
    );
    expect(incident.title).toBe("Unrecognized alert payload");
  });

  it("answers bad bodies with 4xx, never 5xx", async () => {
    const post = (body: string, type = "application/json") =>
      fetch(`${stack.hostUrl}/api/alerts`, { method: "POST", headers: { "content-type": type }, body });
    expect((await post("{not json")).status).toBe(400);
    expect((await post("x", "text/plain")).status).toBe(415);
    // Exactly JSON: a type that merely contains "json" is not one.
    expect((await post("{}", "text/notjson")).status).toBe(415);
    expect((await post("{}", "application/jsonx")).status).toBe(415);
    expect((await post(JSON.stringify({ pad: "x".repeat(1_100_000) }))).status).toBe(413);
  });

  it("escapes alert text in the email", async () => {
    const rule = `<script>alert("x")</script>-${randomUUID().slice(0, 4)}`;
    await postAlert(
      stack,
      metricAlert({
        rule,
        alertId: randomUUID(),
        target: demo.web,
        description: '<img src=x onerror="steal()">',
      }),
    );
    const incident = await incidentFor(rule);
    const email = await eventually(
      async () => (await outboxMessages(stack)).find((m) => m.includes(incident.id)),
      "the email",
    );
    // The HTML part (quoted-printable keeps < and > as they are) must hold no live markup from the alert.
    const html = email.slice(email.indexOf("Content-Type: text/html"));
    expect(html.length).toBeGreaterThan(100);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("&lt;script&gt;");
  });
});

describe("operators", () => {
  it("refuses missing, expired, foreign, unsigned and wrongly addressed tokens with 401, and a missing role with 403", async () => {
    const status = async (token: string | null) =>
      (
        await fetch(`${stack.hostUrl}/api/incidents`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        })
      ).status;
    const past = new Date(Date.now() - 3 * 3600_000);
    expect(await status(null)).toBe(401);
    expect(await status(await mintTestToken(stack.estate, {}, { now: past }))).toBe(401);
    expect(await status(await mintTestToken(stack.estate, { aud: "api://someone-else" }))).toBe(401);
    expect(
      await status(await mintTestToken(stack.estate, { iss: "https://sts.example.com/evil/v2.0" })),
    ).toBe(401);
    expect(await status(await mintTestToken(stack.estate, {}, { signWith: "foreign-key" }))).toBe(401);
    expect(await status(await mintTestToken(stack.estate, {}, { signWith: "none" }))).toBe(401);
    expect(await status(await mintTestToken(stack.estate, {}, { signWith: "hs256" }))).toBe(401);
    expect(await status(await tokenFor(stack, "noRoles"))).toBe(403);
    expect(await status(reader)).toBe(200);
    const problem = await fetch(`${stack.hostUrl}/api/incidents`);
    expect(problem.headers.get("content-type")).toContain("application/problem+json");
    expect(problem.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("lets a reader look but not act, and records who acknowledged and resolved", async () => {
    const opened = await api(stack, operator, "incidents", {
      method: "POST",
      body: JSON.stringify({ severity: "high", title: "Checkout is slow", environment: "prod" }),
    });
    expect(opened.status).toBe(201);
    const incident = (await opened.json()) as Incident;
    expect(incident).toMatchObject({ source: "manual", priority: "high", status: "open" });
    expect(
      (await api(stack, reader, `incidents/${incident.id}/acknowledge`, { method: "POST", body: "{}" }))
        .status,
    ).toBe(403);
    const acked = await api(stack, operator, `incidents/${incident.id}/acknowledge`, {
      method: "POST",
      body: JSON.stringify({ note: "looking" }),
    });
    expect(acked.status).toBe(200);
    expect(((await acked.json()) as Incident).acknowledgedBy).toContain(localClients.operator.clientId);
    expect(
      (await api(stack, operator, `incidents/${incident.id}/acknowledge`, { method: "POST", body: "{}" }))
        .status,
    ).toBe(409);
    expect(
      (await api(stack, operator, `incidents/${incident.id}/resolve`, { method: "POST", body: "{}" })).status,
    ).toBe(200);
    const { history } = await incidentWithHistory(stack, reader, incident.id);
    expect(history.map((e) => [e.type, e.by.includes(localClients.operator.clientId)])).toEqual([
      ["opened", true],
      ["notified", false],
      ["acknowledged", true],
      ["resolved", true],
    ]);
    expect(
      (
        await api(stack, operator, "incidents", {
          method: "POST",
          body: JSON.stringify({ severity: "urgent" }),
        })
      ).status,
    ).toBe(400);
    expect((await api(stack, reader, "incidents/INC-none")).status).toBe(404);
  });
});

describe("escalation", () => {
  async function deliverStep(step: { incidentId: string; level: number; round: number }): Promise<void> {
    // The queue would make this message visible after the level's minutes; the test plays the clock.
    const response = await fetch(`${stack.hostUrl}/admin/functions/escalation-step?wait=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: JSON.stringify(step) }),
    });
    expect(response.status).toBe(200);
  }

  it("pages each level in order and stops when someone acknowledges", async () => {
    const before = {
      first: (await emailsTo("first-line@phoenixvc.tech")).length,
      second: (await emailsTo("second-line@phoenixvc.tech")).length,
    };
    await postAlert(stack, metricAlert({ rule: "api-on-call", alertId: randomUUID(), target: demo.api }));
    // The incident is written first and its first escalation step recorded a moment later: wait for both.
    const incident = await incidentFor("api-on-call", (i) => i.status === "open" && i.escalation !== null);
    expect(incident.escalation).toMatchObject({ level: 0, round: 0 });
    expect(incident.escalation?.nextAt).not.toBeNull();
    await eventually(
      async () => (await emailsTo("first-line@phoenixvc.tech")).length === before.first + 1,
      "first-line page",
    );
    expect((await emailsTo("second-line@phoenixvc.tech")).length).toBe(before.second);

    await deliverStep({ incidentId: incident.id, level: 1, round: 0 });
    await eventually(
      async () => (await emailsTo("second-line@phoenixvc.tech")).length === before.second + 1,
      "second-line page",
    );
    // A redelivered step pages nobody twice.
    await deliverStep({ incidentId: incident.id, level: 1, round: 0 });

    await api(stack, operator, `incidents/${incident.id}/acknowledge`, { method: "POST", body: "{}" });
    await deliverStep({ incidentId: incident.id, level: 1, round: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await emailsTo("second-line@phoenixvc.tech")).length).toBe(before.second + 1);
    const { history } = await incidentWithHistory(stack, reader, incident.id);
    expect(history.filter((e) => e.type === "escalated")).toHaveLength(1);
  });
});

describe("maintenance windows", () => {
  it("records alerts in a window without paging anyone, and still resolves", async () => {
    const rule = `db-${randomUUID().slice(0, 6)}`;
    const alertId = randomUUID();
    const emailsBefore = (await outboxMessages(stack)).length;
    await postAlert(stack, metricAlert({ rule, alertId, target: demo.db }));
    const incident = await incidentFor(rule);
    expect(incident.suppressedBy).toBe("db-upgrade");
    await postAlert(stack, metricAlert({ rule, alertId, target: demo.db, condition: "Resolved" }));
    await incidentFor(rule, (i) => i.status === "resolved");
    expect((await outboxMessages(stack)).filter((m) => m.includes(incident.id))).toHaveLength(0);
    expect((await outboxMessages(stack)).length).toBeGreaterThanOrEqual(emailsBefore);
  });
});

describe("notifications and diagnostics", () => {
  it("delivers exactly once after the email service fails for a while", async () => {
    // More failures than the SDK's own retries absorb: the outbox has to try again later.
    stack.estate.addFault({ pathPattern: "emails:send", status: 503, retryAfterSeconds: 0, count: 4 });
    try {
      const rule = `mail-${randomUUID().slice(0, 6)}`;
      await postAlert(stack, metricAlert({ rule, alertId: randomUUID(), target: demo.plan }));
      const incident = await incidentFor(rule);
      await eventually(
        async () => (await outboxMessages(stack)).some((m) => m.includes(incident.id)),
        "the email after the outage",
        60_000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect((await outboxMessages(stack)).filter((m) => m.includes(incident.id))).toHaveLength(1);
      expect(stack.estate.stats().faults).toBeGreaterThanOrEqual(4);
    } finally {
      stack.estate.clearFaults();
    }
  });

  it("collects the web app's recent metrics and failed requests and links them", async () => {
    stack.estate.setScenario("webapp-errors");
    const rule = `web-${randomUUID().slice(0, 6)}`;
    await postAlert(stack, metricAlert({ rule, alertId: randomUUID(), target: demo.web }));
    const incident = await incidentFor(rule, (i) => i.diagnostics.status === "collected");
    const response = await api(stack, reader, `incidents/${incident.id}/diagnostics`);
    expect(response.status).toBe(200);
    const bundle = (await response.json()) as {
      metrics: Record<string, unknown>;
      failedRequests: { rows: unknown[] };
    };
    expect(Object.keys(bundle.metrics)).toEqual(expect.arrayContaining(["Http5xx", "Requests"]));
    expect(bundle.failedRequests.rows.length).toBeGreaterThan(0);
    const email = await eventually(
      async () => (await outboxMessages(stack)).find((m) => m.includes(incident.id)),
      "the opening email",
    );
    expect(email).toContain(`/api/incidents/${incident.id}/diagnostics`);
    stack.estate.setScenario("healthy");
  });
});

describe("phoenix-ops incident commands", () => {
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(args, { ...stack.settings, PHOENIX_API_URL: stack.hostUrl });

  it("opens, lists, shows, acknowledges and resolves an incident with the app's managed identity", async () => {
    const opened = await cli([
      "incident-response",
      "--severity",
      "high",
      "--notify-team",
      "true",
      "--title",
      "From the CLI",
      "--output",
      "json",
    ]);
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    const incident = JSON.parse(opened.stdout) as Incident;
    const listed = await cli(["incidents", "list", "--status", "open"]);
    expect(listed.stdout).toMatch(new RegExp(`${incident.id}\\s+open\\s+high`));
    expect((await cli(["incidents", "ack", incident.id, "--note", "on it"])).stdout).toContain(
      `Acknowledged ${incident.id}`,
    );
    const shown = await cli(["incidents", "show", incident.id]);
    expect(shown.stdout).toContain("acknowledged");
    expect(shown.stdout).toContain("on it");
    expect((await cli(["incidents", "resolve", incident.id])).code).toBe(0);
    const again = await cli(["incidents", "ack", incident.id]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("409");
  });

  it("refuses a bad severity with usage", async () => {
    const result = await cli(["incident-response", "--severity", "urgent"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("Allowed choices are critical, high, medium, low, info");
  });
});
