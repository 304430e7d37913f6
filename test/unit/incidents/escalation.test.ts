import { beforeEach, describe, expect, it } from "vitest";
import {
  type EscalationStep,
  runEscalationStep,
} from "../../../src/shared/operations/incidents/escalation.ts";
import { acknowledgeIncident, resolveIncident } from "../../../src/shared/operations/incidents/operators.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import {
  type TestDeps,
  advance,
  deliverQueuedNotifications,
  fire,
  makeDeps,
  prodApi,
  recipients,
  stagingUpgrade,
  stagingWeb,
} from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

/** An incident of the "api-latency" rule, whose policy is two levels (5 and 15 minutes), repeated once. */
async function openLadderIncident(): Promise<string> {
  return fire(deps, { instance: "lat-1", rule: "api-latency", target: prodApi, severity: "Sev0" });
}

/** Plays the escalations queue trigger: each waiting step runs once its delay has passed. */
async function runNextStep(): Promise<{ step: EscalationStep; outcome: string } | undefined> {
  const [next, ...rest] = deps.queue.drain<EscalationStep>(queueNames.escalations);
  expect(rest).toEqual([]);
  if (!next) return undefined;
  advance(deps, next.delayInSeconds);
  return { step: next.message, outcome: await runEscalationStep(deps, next.message) };
}

describe("escalation", () => {
  it("pages level 0 on opening and schedules level 1 after level 0's time to acknowledge", async () => {
    const id = await openLadderIncident();

    const notes = deps.store.notificationsOf(id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ to: recipients.primary, step: "level 1 of 2, round 1 of 2" });
    expect(notes[0]!.subject).toBe(`[CRITICAL] ${id} opened: api-latency on phoenix-api-prod`);
    expect(deps.store.incident(id).escalation).toEqual({
      level: 0,
      round: 0,
      nextAt: "2026-11-26T06:05:00.000Z",
    });
    expect(deps.queue.peek(queueNames.escalations)).toEqual([
      {
        queue: queueNames.escalations,
        message: { incidentId: id, level: 1, round: 0 },
        delayInSeconds: 5 * 60,
      },
    ]);
  });

  it("pages every level once per round, wraps to round 2, and stops after the last level", async () => {
    const id = await openLadderIncident();
    const steps: { level: number; round: number; outcome: string }[] = [];
    for (let step = await runNextStep(); step; step = await runNextStep()) {
      steps.push({ level: step.step.level, round: step.step.round, outcome: step.outcome });
    }

    expect(steps).toEqual([
      { level: 1, round: 0, outcome: "notified level 2 of 2, round 1 of 2" },
      { level: 0, round: 1, outcome: "notified level 1 of 2, round 2 of 2" },
      { level: 1, round: 1, outcome: "notified level 2 of 2, round 2 of 2" },
    ]);
    const notes = deps.store.notificationsOf(id);
    expect(notes.map((n) => [n.id.slice(id.length + 1), n.to])).toEqual([
      ["esc-0-0", recipients.primary],
      ["esc-0-1", recipients.secondary],
      ["esc-1-0", recipients.primary],
      ["esc-1-1", recipients.secondary],
    ]);
    expect(notes.slice(1).every((n) => n.subject.includes(" escalated (level "))).toBe(true);
    // Level 0 waits 5 minutes, level 1 waits 15; nothing is scheduled after the last step.
    expect(deps.queue.history(queueNames.escalations).map((m) => m.delayInSeconds)).toEqual([300, 900, 300]);
    expect(deps.store.incident(id).escalation).toEqual({ level: 1, round: 1, nextAt: null });
    expect(deps.store.eventTypes(id).filter((t) => t === "escalated")).toHaveLength(3);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(4);
  });

  it("does nothing for a step of an acknowledged incident", async () => {
    const id = await openLadderIncident();
    await acknowledgeIncident(deps, id, "alice");
    const step = await runNextStep();

    expect(step?.outcome).toBe("stopped: incident is acknowledged");
    expect(deps.store.notificationsOf(id)).toHaveLength(1);
    expect(deps.queue.peek(queueNames.escalations)).toEqual([]);
    expect(deps.store.incident(id).escalation?.nextAt).toBeNull();
  });

  it("does nothing for a step of a resolved incident", async () => {
    const id = await openLadderIncident();
    await resolveIncident(deps, id, "alice");
    const step = await runNextStep();

    expect(step?.outcome).toBe("stopped: incident is resolved");
    expect(deps.store.notificationsOf(id)).toHaveLength(1);
    expect(deps.queue.peek(queueNames.escalations)).toEqual([]);
  });

  it("pages nobody twice when a step is redelivered", async () => {
    const id = await openLadderIncident();
    const [message] = deps.queue.drain<EscalationStep>(queueNames.escalations);
    const first = await runEscalationStep(deps, message!.message);
    const again = await runEscalationStep(deps, message!.message);
    const opening = await runEscalationStep(deps, { incidentId: id, level: 0, round: 0 });

    expect(first).toBe("notified level 2 of 2, round 1 of 2");
    expect(again).toBe("already escalated to this level");
    expect(opening).toBe("already escalated to this level");
    expect(deps.store.notificationsOf(id)).toHaveLength(2);
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(2);
    expect(deps.queue.history(queueNames.escalations)).toHaveLength(2);
  });

  it("sends one notification per step even when two instances run the same step at once", async () => {
    const id = await openLadderIncident();
    const [message] = deps.queue.drain<EscalationStep>(queueNames.escalations);
    await Promise.all([runEscalationStep(deps, message!.message), runEscalationStep(deps, message!.message)]);

    const notes = deps.store.notificationsOf(id);
    expect(notes.map((n) => n.id.slice(id.length + 1))).toEqual(["esc-0-0", "esc-0-1"]);
    // The instance that finds the row already there queues it again (it cannot tell a lost message
    // from a running one); the outbox row makes that second delivery a no-op: one email per step.
    await deliverQueuedNotifications(deps);
    expect(deps.email.sent.map((m) => m.to)).toEqual([recipients.primary, recipients.secondary]);
    expect(deps.store.incident(id).escalation).toMatchObject({ level: 1, round: 0 });
  });

  it("never escalates an incident opened inside a maintenance window", async () => {
    deps.clock.time = new Date("2026-12-01T02:00:00Z");
    const id = await fire(deps, { instance: "lat-s", rule: "api-latency", target: stagingWeb });

    expect(Date.parse(stagingUpgrade.start)).toBeLessThan(deps.clock.time.getTime());
    expect(deps.store.incident(id).suppressedBy).toBe("staging-upgrade");
    expect(deps.queue.history(queueNames.escalations)).toEqual([]);
    // Even a step that somehow arrives (e.g. the window ended) stops.
    deps.clock.time = new Date("2026-12-01T05:00:00Z");
    expect(await runEscalationStep(deps, { incidentId: id, level: 0, round: 0 })).toBe(
      "stopped: suppressed by a maintenance window",
    );
    expect(deps.store.notificationsOf(id)).toEqual([]);
  });

  it("stops for an unknown incident or a level the policy does not have", async () => {
    const id = await openLadderIncident();
    expect(await runEscalationStep(deps, { incidentId: "INC-none", level: 1, round: 0 })).toBe(
      "no such incident",
    );
    expect(await runEscalationStep(deps, { incidentId: id, level: 7, round: 0 })).toBe(
      "stopped: no such escalation level",
    );
  });

  it("pages an incident without an escalation policy once, with no steps", async () => {
    const id = await fire(deps, { instance: "a1" });
    expect(deps.store.incident(id).escalationPolicy).toBeNull();
    expect(deps.queue.history(queueNames.escalations)).toEqual([]);
    expect(deps.store.notificationsOf(id).map((n) => n.step)).toEqual(["open"]);
  });
});
