import { beforeEach, describe, expect, it, vi } from "vitest";
import { alertSeverities } from "../../../src/shared/alerts/model.ts";
import { priorityOf } from "../../../src/shared/incidents/model.ts";
import { dedupKeyOf } from "../../../src/shared/incidents/routing.ts";
import { acknowledgeIncident } from "../../../src/shared/operations/incidents/operators.ts";
import { processAlert } from "../../../src/shared/operations/incidents/processing.ts";
import { receiveAlert } from "../../../src/shared/operations/incidents/intake.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import {
  type TestDeps,
  commonAlert,
  deliverAlert,
  deliverQueuedNotifications,
  drainQueuedAlerts,
  fire,
  makeDeps,
  prodApi,
  prodDb,
  prodWeb,
  recipients,
  resolve,
  stagingWeb,
  strayVm,
} from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

describe("alert processing: opening", () => {
  it("opens an incident for a fired alert, with its rule, target, values and a link", async () => {
    const result = await deliverAlert(deps, { instance: "a1", severity: "Sev1" });
    expect(result.outcome).toBe("opened");
    const incident = deps.store.incident(result.incidentId!);
    expect(incident).toMatchObject({
      source: "alert",
      status: "open",
      rule: "web-http5xx",
      target: prodWeb,
      title: "web-http5xx on phoenix-web-prod",
      priority: "high",
      environment: "prod",
      alertCount: 1,
      suppressedBy: null,
      openedAt: "2026-11-26T06:00:00.000Z",
      openedBy: "alert (Platform)",
      diagnostics: { status: "pending", blob: null, error: null },
    });
    expect(incident.activeAlerts).toHaveLength(1);
    expect(incident.values).toEqual([
      { name: "Http5xx", value: 42, threshold: 10, operator: "GreaterThan", aggregation: "Total" },
    ]);
    expect(incident.link).toMatch(/^https:\/\/portal\.azure\.com\//);
    expect(deps.store.eventTypes(incident.id)).toEqual(["opened", "notified"]);
    expect(deps.store.alerts.get(result.key)).toMatchObject({
      status: "processed",
      incidentId: incident.id,
      receivedAt: "2026-11-26T06:00:00.000Z",
      raw: result.message.raw,
    });
    expect(deps.store.keys.get(incident.dedupKey)).toBe(incident.id);
  });

  it.each([...alertSeverities, null] as const)(
    "takes the priority of severity %s from priorityOf",
    async (severity) => {
      const id = await fire(deps, { instance: `sev-${severity}`, severity });
      expect(deps.store.incident(id).priority).toBe(priorityOf(severity));
    },
  );

  it("queues diagnostics for a web app target and not for a database", async () => {
    const web = await fire(deps, { instance: "a1", target: prodWeb });
    const db = await fire(deps, { instance: "a2", target: prodDb, rule: "db-cpu" });
    expect(deps.store.incident(db).diagnostics.status).toBe("not-applicable");
    expect(deps.queue.history(queueNames.diagnostics).map((m) => m.message)).toEqual([{ incidentId: web }]);
  });

  it("finds the environment from the target's subscription and resource group", async () => {
    const prod = await fire(deps, { instance: "a1", target: prodApi, rule: "some-rule" });
    const staging = await fire(deps, { instance: "a2", target: stagingWeb, rule: "some-rule" });
    const none = await fire(deps, { instance: "a3", target: strayVm, rule: "some-rule" });
    expect([prod, staging, none].map((id) => deps.store.incident(id).environment)).toEqual([
      "prod",
      "staging",
      null,
    ]);
  });

  it("notifies the matching alert rule's recipients first, else the environment's, else the default", async () => {
    const byRule = await fire(deps, { instance: "a1", rule: "WEB-HTTP5XX", target: stagingWeb });
    const byEnvironment = await fire(deps, { instance: "a2", rule: "unlisted-rule", target: stagingWeb });
    const byDefault = await fire(deps, { instance: "a3", rule: "unlisted-rule", target: strayVm });

    const to = (id: string): string[][] => deps.store.notificationsOf(id).map((n) => n.to);
    expect(to(byRule)).toEqual([recipients.webRule]);
    expect(to(byEnvironment)).toEqual([recipients.staging]);
    expect(to(byDefault)).toEqual([recipients.default]);
    expect(deps.store.incident(byRule).recipients).toEqual(recipients.webRule);
  });
});

describe("alert processing: grouping and redelivery", () => {
  it("adds a new alert of the same rule and target to the open incident", async () => {
    const first = await fire(deps, { instance: "a1" });
    const second = await deliverAlert(deps, { instance: "a2" });

    expect(second).toMatchObject({ incidentId: first, outcome: "added to open incident" });
    const incident = deps.store.incident(first);
    expect(incident.alertCount).toBe(2);
    expect(incident.activeAlerts).toHaveLength(2);
    expect(deps.store.incidents.size).toBe(1);
    expect(deps.store.notificationsOf(first)).toHaveLength(1);
  });

  it("adds an alert to an open incident in one read-modify-write, with no read of the incident before it", async () => {
    const first = await fire(deps, { instance: "a1" });
    const getIncident = vi.spyOn(deps.store, "getIncident");
    const updateIncident = vi.spyOn(deps.store, "updateIncident");
    const second = await deliverAlert(deps, { instance: "a2" });
    // A redelivered message of it is a duplicate, answered from the alert's row.
    const again = await processAlert(deps, second.message);

    expect(second).toMatchObject({ incidentId: first, outcome: "added to open incident" });
    expect(again).toEqual({ incidentId: first, outcome: "duplicate" });
    expect(getIncident).not.toHaveBeenCalled();
    expect(updateIncident).toHaveBeenCalledTimes(1);
    expect(deps.store.incident(first).alertCount).toBe(2);
  });

  it("groups by target: the same rule on another resource opens another incident", async () => {
    const web = await fire(deps, { instance: "a1", target: prodWeb });
    const api = await fire(deps, { instance: "a2", target: prodApi });
    expect(api).not.toBe(web);
    expect(deps.store.incident(web).dedupKey).toBe(dedupKeyOf({ rule: "web-http5xx", targets: [prodWeb] }));
  });

  it("answers a redelivered message of an already processed alert as a duplicate and changes nothing", async () => {
    const first = await deliverAlert(deps, { instance: "a1" });
    const version = deps.store.versionOf(first.incidentId!);
    const events = deps.store.eventTypes(first.incidentId!);
    const again = await processAlert(deps, first.message);

    expect(again).toEqual({ incidentId: first.incidentId, outcome: "duplicate" });
    expect(deps.store.versionOf(first.incidentId!)).toBe(version);
    expect(deps.store.eventTypes(first.incidentId!)).toEqual(events);
    expect(deps.store.incidents.size).toBe(1);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(1);
  });

  it("never counts an alert twice when its processing is redelivered before it was marked processed", async () => {
    const id = await fire(deps, { instance: "a1" });
    const second = await deliverAlert(deps, { instance: "a2" });
    // The first run applied the alert but died before marking it processed.
    deps.store.alerts.set(second.key, { ...deps.store.alerts.get(second.key)!, status: "received" });
    const again = await processAlert(deps, second.message);

    expect(again).toEqual({ incidentId: id, outcome: "added to open incident" });
    const incident = deps.store.incident(id);
    expect(incident.alertCount).toBe(2);
    expect(incident.activeAlerts).toHaveLength(2);
    expect(deps.store.alerts.get(second.key)?.status).toBe("processed");
  });

  it("makes one incident of one message processed by two instances at once", async () => {
    const payload = commonAlert({ instance: "a1" });
    await receiveAlert(deps, payload, JSON.stringify(payload));
    const [queued] = drainQueuedAlerts(deps);
    const results = await Promise.all([processAlert(deps, queued!), processAlert(deps, queued!)]);

    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    expect(deps.store.incidents.size).toBe(1);
    const id = results[0].incidentId!;
    expect(deps.store.incident(id)).toMatchObject({ alertCount: 1, status: "open" });
    expect(deps.store.notificationsOf(id)).toHaveLength(1);
    await deliverQueuedNotifications(deps);
    expect(deps.email.sent).toHaveLength(1);
  });
});

describe("alert processing: resolution", () => {
  it("takes a resolved alert out of the active alerts and leaves the incident open while others fire", async () => {
    const id = await fire(deps, { instance: "a1" });
    await fire(deps, { instance: "a2" });
    const result = await resolve(deps, { instance: "a1" });

    expect(result).toMatchObject({ incidentId: id, outcome: "alert resolved" });
    const incident = deps.store.incident(id);
    expect(incident.status).toBe("open");
    expect(incident.activeAlerts).toHaveLength(1);
    expect(incident.alertCount).toBe(3);
  });

  it("auto-resolves the incident when all its alerts are resolved, records it and frees the key", async () => {
    const id = await fire(deps, { instance: "a1" });
    await fire(deps, { instance: "a2" });
    await resolve(deps, { instance: "a1" });
    const last = await resolve(deps, { instance: "a2" });

    expect(last).toMatchObject({ incidentId: id, outcome: "auto-resolved" });
    const incident = deps.store.incident(id);
    expect(incident).toMatchObject({
      status: "resolved",
      resolvedAt: "2026-11-26T06:00:00.000Z",
      resolvedBy: "auto: all alerts resolved",
      activeAlerts: [],
    });
    expect(deps.store.eventTypes(id)).toContain("auto-resolved");
    expect(deps.store.keys.has(incident.dedupKey)).toBe(false);
    const resolvedNote = deps.store.notificationsOf(id).find((n) => n.step === "resolved");
    expect(resolvedNote?.to).toEqual(recipients.webRule);
  });

  it("opens a new incident when the rule fires again after the auto-resolution", async () => {
    const first = await fire(deps, { instance: "a1" });
    await resolve(deps, { instance: "a1" });
    const next = await deliverAlert(deps, { instance: "a3" });

    expect(next.outcome).toBe("opened");
    expect(next.incidentId).not.toBe(first);
    expect(deps.store.incident(first).status).toBe("resolved");
    expect(deps.store.incident(next.incidentId!).status).toBe("open");
  });

  it("does nothing with a resolution when no incident is open for its rule and target", async () => {
    const result = await resolve(deps, { instance: "a1" });
    expect(result).toMatchObject({ incidentId: null, outcome: "resolution without an open incident" });
    expect(deps.store.incidents.size).toBe(0);
    expect(deps.store.keys.size).toBe(0);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(0);
  });

  it("auto-resolves an acknowledged incident too", async () => {
    const id = await fire(deps, { instance: "a1" });
    await acknowledgeIncident(deps, id, "alice");
    expect((await resolve(deps, { instance: "a1" })).outcome).toBe("auto-resolved");
    expect(deps.store.incident(id).status).toBe("resolved");
  });
});

describe("alert processing: concurrency", () => {
  it("keeps both changes when an operator acknowledges while an alert is being added", async () => {
    const id = await fire(deps, { instance: "a1" });
    deps.store.interleaveOnce(async () => {
      await acknowledgeIncident(deps, id, "alice");
    });
    await fire(deps, { instance: "a2" });

    const incident = deps.store.incident(id);
    expect(deps.store.conflicts).toBe(1);
    expect(incident).toMatchObject({ status: "acknowledged", acknowledgedBy: "alice", alertCount: 2 });
    expect(incident.activeAlerts).toHaveLength(2);
  });

  it("keeps both alerts when two instances add alerts to the same incident at once", async () => {
    const id = await fire(deps, { instance: "a1" });
    deps.store.interleaveOnce(async () => {
      await fire(deps, { instance: "a3" });
    });
    await fire(deps, { instance: "a2" });

    const incident = deps.store.incident(id);
    expect(deps.store.conflicts).toBe(1);
    expect(incident.alertCount).toBe(3);
    expect(incident.activeAlerts).toHaveLength(3);
    expect(incident.appliedAlertKeys).toHaveLength(3);
  });

  it("auto-resolves correctly when a new alert arrives while the last resolution is being written", async () => {
    const id = await fire(deps, { instance: "a1" });
    deps.store.interleaveOnce(async () => {
      await fire(deps, { instance: "a2" });
    });
    const result = await resolve(deps, { instance: "a1" });

    // Re-applied on top of the new alert: one alert still fires, so the incident stays open.
    expect(result.outcome).toBe("alert resolved");
    const incident = deps.store.incident(id);
    expect(incident.status).toBe("open");
    expect(incident.activeAlerts).toHaveLength(1);
    expect(deps.store.keys.get(incident.dedupKey)).toBe(id);
  });
});
