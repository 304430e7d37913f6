import { beforeEach, describe, expect, it } from "vitest";
import { type OpsError, isOpsError } from "../../../src/shared/errors.ts";
import {
  acknowledgeIncident,
  getIncidentWithHistory,
  openManualIncident,
  resolveIncident,
} from "../../../src/shared/operations/incidents/operators.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import { type TestDeps, advance, deliverAlert, fire, makeDeps, recipients } from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

async function opsError(attempt: Promise<unknown>): Promise<OpsError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isOpsError(error)) throw new Error(`expected an OpsError, got ${String(error)}`);
  return error;
}

describe("operators: acknowledge", () => {
  it("acknowledges an open incident, records who and when, and stops the escalation clock", async () => {
    const id = await fire(deps, { instance: "lat-1", rule: "api-latency" });
    advance(deps, 60);
    const incident = await acknowledgeIncident(deps, id, "alice@phoenixvc.tech", "looking");

    expect(incident).toMatchObject({
      status: "acknowledged",
      acknowledgedBy: "alice@phoenixvc.tech",
      acknowledgedAt: "2026-11-26T06:01:00.000Z",
      escalation: { level: 0, round: 0, nextAt: null },
    });
    expect(deps.store.incident(id)).toEqual(incident);
    const { history } = await getIncidentWithHistory(deps, id);
    expect(history.at(-1)).toEqual({
      at: "2026-11-26T06:01:00.000Z",
      type: "acknowledged",
      by: "alice@phoenixvc.tech",
      detail: "looking",
    });
  });

  it("refuses to acknowledge an acknowledged incident with a Conflict and changes nothing", async () => {
    const id = await fire(deps, { instance: "a1" });
    await acknowledgeIncident(deps, id, "alice");
    const version = deps.store.versionOf(id);
    const error = await opsError(acknowledgeIncident(deps, id, "bob"));

    expect(error.code).toBe("Conflict");
    expect(error.message).toContain("only an open incident can be acknowledged");
    expect(deps.store.incident(id).acknowledgedBy).toBe("alice");
    expect(deps.store.versionOf(id)).toBe(version);
  });

  it("refuses to acknowledge a resolved incident with a Conflict", async () => {
    const id = await fire(deps, { instance: "a1" });
    await resolveIncident(deps, id, "alice");
    expect((await opsError(acknowledgeIncident(deps, id, "bob"))).code).toBe("Conflict");
  });

  it("answers NotFound for an incident that does not exist", async () => {
    expect((await opsError(acknowledgeIncident(deps, "INC-20261126-00000000", "bob"))).code).toBe("NotFound");
    expect((await opsError(getIncidentWithHistory(deps, "INC-20261126-00000000"))).code).toBe("NotFound");
  });
});

describe("operators: resolve", () => {
  it("resolves an open or acknowledged incident and releases its key", async () => {
    const open = await fire(deps, { instance: "a1" });
    const acked = await fire(deps, { instance: "b1", rule: "other-rule" });
    await acknowledgeIncident(deps, acked, "alice");

    for (const id of [open, acked]) {
      const incident = await resolveIncident(deps, id, "alice", "fixed the pool size");
      expect(incident).toMatchObject({ status: "resolved", resolvedBy: "alice" });
      expect(deps.store.keys.has(incident.dedupKey)).toBe(false);
      expect(deps.store.events.get(id)!.at(-1)).toMatchObject({
        type: "resolved",
        detail: "fixed the pool size",
      });
    }
  });

  it("opens a new incident when the rule fires again after an operator resolved it", async () => {
    const id = await fire(deps, { instance: "a1" });
    await resolveIncident(deps, id, "alice");
    const again = await deliverAlert(deps, { instance: "a2" });
    expect(again.outcome).toBe("opened");
    expect(again.incidentId).not.toBe(id);
  });

  it("ignores the late resolution of an alert whose incident an operator already resolved", async () => {
    const id = await fire(deps, { instance: "a1" });
    await resolveIncident(deps, id, "alice");
    const late = await deliverAlert(deps, { instance: "a1", condition: "Resolved" });
    expect(late.outcome).toBe("resolution without an open incident");
    expect(deps.store.incident(id).resolvedBy).toBe("alice");
  });

  it("refuses to resolve a resolved incident with a Conflict", async () => {
    const id = await fire(deps, { instance: "a1" });
    await resolveIncident(deps, id, "alice");
    expect((await opsError(resolveIncident(deps, id, "bob"))).code).toBe("Conflict");
    expect(deps.store.incident(id).resolvedBy).toBe("alice");
  });
});

describe("operators: manual incidents", () => {
  it("opens a manual incident for an environment and queues one notification to its recipients", async () => {
    const incident = await openManualIncident(
      deps,
      { priority: "high", title: "Checkout failing", environment: "staging", notifyTeam: true },
      "alice",
    );

    expect(incident).toMatchObject({
      source: "manual",
      status: "open",
      priority: "high",
      title: "Checkout failing",
      environment: "staging",
      openedBy: "alice",
      recipients: recipients.staging,
      alertCount: 0,
    });
    expect(deps.store.incident(incident.id)).toEqual(incident);
    expect(deps.store.keys.get(incident.dedupKey)).toBe(incident.id);
    const notes = deps.store.notificationsOf(incident.id);
    expect(notes.map((n) => [n.step, n.to])).toEqual([["open", recipients.staging]]);
    expect(deps.queue.history(queueNames.notifications).map((m) => m.message)).toEqual([
      { incidentId: incident.id, notificationId: `${incident.id}-open` },
    ]);
    expect(notes[0]!.subject).toBe(`[HIGH] ${incident.id} opened: Checkout failing`);
  });

  it("tells the default recipients of a manual incident without an environment", async () => {
    const incident = await openManualIncident(
      deps,
      { priority: "low", title: "t", notifyTeam: true },
      "alice",
    );
    expect(incident.environment).toBeNull();
    expect(deps.store.notificationsOf(incident.id).map((n) => n.to)).toEqual([recipients.default]);
  });

  it("notifies nobody when notifyTeam is false", async () => {
    const incident = await openManualIncident(
      deps,
      { priority: "critical", title: "Quiet", environment: "prod", notifyTeam: false },
      "alice",
    );
    expect(deps.store.notificationsOf(incident.id)).toEqual([]);
    expect(deps.queue.history(queueNames.notifications)).toEqual([]);
    expect(deps.store.eventTypes(incident.id)).toEqual(["opened"]);
  });

  it("keeps manual incidents apart: two with the same title are two incidents", async () => {
    const request = { priority: "medium" as const, title: "Same", notifyTeam: true };
    const a = await openManualIncident(deps, request, "alice");
    const b = await openManualIncident(deps, request, "bob");
    expect(a.id).not.toBe(b.id);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(2);
  });

  it("refuses an unknown environment with BadRequest and records nothing", async () => {
    const error = await opsError(
      openManualIncident(
        deps,
        { priority: "high", title: "t", environment: "qa", notifyTeam: true },
        "alice",
      ),
    );
    expect(error.code).toBe("BadRequest");
    expect(error.details).toEqual({ field: "environment" });
    expect(deps.store.incidents.size).toBe(0);
    expect(deps.queue.sent).toEqual([]);
  });

  it("resolves a manual incident like any other", async () => {
    const incident = await openManualIncident(
      deps,
      { priority: "high", title: "t", notifyTeam: false },
      "alice",
    );
    await resolveIncident(deps, incident.id, "alice");
    expect(deps.store.keys.has(incident.dedupKey)).toBe(false);
  });
});
