/**
 * What the queue triggers' retries must repair. Every queue handler rethrows, so the host runs the same
 * message again after a transient failure (a storage or queue outage for one call). These tests fail
 * one store or queue call once, retry the message as the host would, and check that nothing is lost.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  type EscalationStep,
  runEscalationStep,
} from "../../../src/shared/operations/incidents/escalation.ts";
import { processAlert } from "../../../src/shared/operations/incidents/processing.ts";
import { receiveAlert } from "../../../src/shared/operations/incidents/intake.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import {
  type AlertSpec,
  type TestDeps,
  advance,
  commonAlert,
  deliverQueuedNotifications,
  drainQueuedAlerts,
  fire,
  makeDeps,
  prodApi,
  recipients,
  stagingWeb,
} from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

/** Intake, then processing that may fail once and is retried as the alerts queue trigger would. */
async function processWithRetry(
  spec: AlertSpec,
): Promise<{ firstError: unknown; outcome: string; incidentId: string | null }> {
  const payload = commonAlert(spec);
  await receiveAlert(deps, payload, JSON.stringify(payload));
  const [queued, ...more] = drainQueuedAlerts(deps);
  expect(more).toEqual([]);
  let firstError: unknown;
  try {
    const result = await processAlert(deps, queued!);
    return { firstError, ...result };
  } catch (error) {
    firstError = error;
  }
  return { firstError, ...(await processAlert(deps, queued!)) };
}

describe("recovery: processing retried after a transient failure", () => {
  it("sends the opening email when queueing it failed once and the alert is processed again", async () => {
    deps.queue.failOnce(queueNames.notifications);
    const { firstError, incidentId } = await processWithRetry({ instance: "a1" });
    expect(firstError).toBeDefined();

    await deliverQueuedNotifications(deps);
    expect(deps.store.notificationsOf(incidentId!)).toHaveLength(1);
    expect(deps.email.sent.map((m) => m.to)).toEqual([recipients.webRule]);
  });

  it("starts the escalation when paging level 0 failed once and the alert is processed again", async () => {
    deps.queue.failOnce(queueNames.notifications);
    const { firstError } = await processWithRetry({
      instance: "lat-1",
      rule: "api-latency",
      target: prodApi,
    });
    expect(firstError).toBeDefined();

    await deliverQueuedNotifications(deps);
    expect(deps.email.sent.map((m) => m.to)).toEqual([recipients.primary]);
    expect(deps.queue.peek(queueNames.escalations)).toHaveLength(1);
  });

  it("opens the incident when creating it failed once after its key was claimed", async () => {
    deps.store.failOnce("createIncident");
    const { firstError, outcome, incidentId } = await processWithRetry({ instance: "a1" }).catch(
      (error: unknown) => ({
        firstError: error,
        outcome: `retry failed too: ${String(error)}`,
        incidentId: null,
      }),
    );
    expect(firstError).toBeDefined();

    expect(outcome).toBe("opened");
    expect(deps.store.incident(incidentId!).status).toBe("open");
    expect(deps.store.notificationsOf(incidentId!)).toHaveLength(1);
  });

  it("keeps a retried opening's place among the minute's openings, so it is not pushed into the digest", async () => {
    // The digest threshold is 3: the third opening of the minute still gets its own email.
    await fire(deps, { instance: "a1", rule: "r1" });
    await fire(deps, { instance: "a2", rule: "r2" });
    deps.store.failOnce("insertNotification");
    const third = await processWithRetry({ instance: "a3", rule: "r3" });
    expect(third.firstError).toBeDefined();

    expect(deps.store.notificationsOf(third.incidentId!).map((n) => n.step)).toEqual(["open"]);
    expect(deps.store.openings.get("2026-11-26T06:00")).toHaveLength(3);
  });

  it("frees the key of an auto-resolved incident when releasing it failed once, so the next fire pages", async () => {
    const first = await fire(deps, { instance: "a1" });
    deps.store.failOnce("releaseIncidentKey");
    const resolution = await processWithRetry({ instance: "a1", condition: "Resolved" });
    expect(resolution.firstError).toBeDefined();
    expect(deps.store.incident(first).status).toBe("resolved");

    const next = await processWithRetry({ instance: "a2" });
    expect(next.outcome).toBe("opened");
    expect(next.incidentId).not.toBe(first);
    expect(deps.store.notificationsOf(next.incidentId!).map((n) => n.step)).toEqual(["open"]);
  });
});

describe("recovery: the incident history after a retry", () => {
  it("records the opening and the window's suppression once when a finished opening is processed again", async () => {
    deps = makeDeps("2026-12-01T02:30:00Z");
    // Everything of the opening is done, then marking the alert processed fails: the whole opening runs again.
    deps.store.failOnce("markAlertProcessed");
    const { firstError, incidentId } = await processWithRetry({ instance: "s1", target: stagingWeb });
    expect(firstError).toBeDefined();

    expect(deps.store.eventTypes(incidentId!)).toEqual(["opened", "suppressed"]);
  });

  it("records the opening when writing it failed once", async () => {
    deps.store.failOnce("appendEvent");
    const { firstError, incidentId } = await processWithRetry({ instance: "a1" });
    expect(firstError).toBeDefined();

    expect(deps.store.eventTypes(incidentId!)).toEqual(["opened", "notified"]);
  });

  it("records an auto-resolution when writing it failed once, and only once", async () => {
    const id = await fire(deps, { instance: "a1" });
    deps.store.failOnce("appendEvent");
    const resolution = await processWithRetry({ instance: "a1", condition: "Resolved" });
    expect(resolution.firstError).toBeDefined();
    expect(resolution.incidentId).toBe(id);

    expect(deps.store.eventTypes(id).filter((t) => t === "auto-resolved")).toHaveLength(1);
  });

  it("records an escalation step when writing it failed once, and only once", async () => {
    const id = await fire(deps, { instance: "lat-1", rule: "api-latency", target: prodApi });
    const [step] = deps.queue.drain<EscalationStep>(queueNames.escalations);
    advance(deps, step!.delayInSeconds);

    deps.store.failOnce("appendEvent");
    await expect(runEscalationStep(deps, step!.message)).rejects.toThrow();
    await runEscalationStep(deps, step!.message);
    await runEscalationStep(deps, step!.message);

    expect(deps.store.eventTypes(id).filter((t) => t === "escalated")).toHaveLength(1);
  });
});

describe("recovery: escalation step retried after a transient failure", () => {
  it("still pages the level and schedules the next one when the step's page could not be queued once", async () => {
    const id = await fire(deps, { instance: "lat-1", rule: "api-latency", target: prodApi });
    const [step] = deps.queue.drain<EscalationStep>(queueNames.escalations);
    advance(deps, step!.delayInSeconds);

    deps.queue.failOnce(queueNames.notifications);
    await expect(runEscalationStep(deps, step!.message)).rejects.toThrow();
    // The host retries the same step message.
    const retried = await runEscalationStep(deps, step!.message);

    expect(retried).toBe("notified level 2 of 2, round 1 of 2");
    expect(deps.queue.history(queueNames.notifications).map((m) => m.message)).toContainEqual({
      incidentId: id,
      notificationId: `${id}-esc-0-1`,
    });
    expect(deps.queue.peek(queueNames.escalations).map((m) => m.message)).toEqual([
      { incidentId: id, level: 0, round: 1 },
    ]);
  });

  it("still schedules the next level when scheduling it failed once", async () => {
    const id = await fire(deps, { instance: "lat-1", rule: "api-latency", target: prodApi });
    const [step] = deps.queue.drain<EscalationStep>(queueNames.escalations);

    deps.queue.failOnce(queueNames.escalations);
    await expect(runEscalationStep(deps, step!.message)).rejects.toThrow();
    await runEscalationStep(deps, step!.message);

    expect(deps.queue.peek(queueNames.escalations).map((m) => m.message)).toEqual([
      { incidentId: id, level: 0, round: 1 },
    ]);
  });
});
