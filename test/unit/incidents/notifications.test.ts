import { beforeEach, describe, expect, it } from "vitest";
import {
  type NotificationMessage,
  deliverNotification,
} from "../../../src/shared/operations/incidents/notifications.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import {
  type TestDeps,
  advance,
  deliverQueuedNotifications,
  fire,
  makeDeps,
  policy,
  prodWeb,
  recipients,
  resolve,
  strayVm,
  withLimits,
} from "./support.ts";

let deps: TestDeps;

beforeEach(() => {
  deps = makeDeps();
});

function target(n: number): string {
  return prodWeb.replace("phoenix-web-prod", `site-${n}`);
}

describe("notifications: outbox", () => {
  it("writes the email to the outbox and queues its delivery", async () => {
    const id = await fire(deps, { instance: "a1" });
    const [note] = deps.store.notificationsOf(id);

    expect(note).toMatchObject({
      id: `${id}-open`,
      incidentId: id,
      step: "open",
      to: recipients.webRule,
      status: "pending",
      attempts: 0,
      sentAt: null,
    });
    expect(note!.subject).toBe(`[HIGH] ${id} opened: web-http5xx on phoenix-web-prod`);
    expect(note!.html).toContain("https://phoenix-ops.example.net/api/incidents/");
    expect(deps.queue.history(queueNames.notifications).map((m) => m.message)).toEqual([
      { incidentId: id, notificationId: `${id}-open` },
    ]);
    expect(deps.email.sent).toEqual([]);
  });

  it("delivers a notification once and marks it sent", async () => {
    const id = await fire(deps, { instance: "a1" });
    const [queued] = deps.queue.drain<NotificationMessage>(queueNames.notifications);

    expect(await deliverNotification(deps, queued!.message)).toBe("sent");
    expect(await deliverNotification(deps, queued!.message)).toBe("already sent");

    expect(deps.email.sent).toHaveLength(1);
    expect(deps.email.sent[0]).toMatchObject({
      to: recipients.webRule,
      idempotencyKey: `${id}|${id}-open`,
    });
    expect(deps.store.notificationsOf(id)[0]).toMatchObject({
      status: "sent",
      sentAt: "2026-11-26T06:00:00.000Z",
      attempts: 1,
      lastError: null,
    });
  });

  it("answers an unknown notification without sending anything", async () => {
    expect(await deliverNotification(deps, { incidentId: "INC-x", notificationId: "INC-x-open" })).toBe(
      "no such notification",
    );
    expect(deps.email.sent).toEqual([]);
  });

  it("retries a failed email with a backoff, then sends it exactly once", async () => {
    const id = await fire(deps, { instance: "a1" });
    deps.email.failuresLeft = 2;

    expect(await deliverQueuedNotifications(deps)).toEqual(["failed, retry in 10s"]);
    let note = deps.store.notificationsOf(id)[0]!;
    expect(note).toMatchObject({ status: "pending", attempts: 1, lastError: "email service unavailable" });
    const [retry] = deps.queue.peek(queueNames.notifications);
    expect(retry).toMatchObject({
      message: { incidentId: id, notificationId: `${id}-open` },
      delayInSeconds: 10,
    });

    advance(deps, 10);
    expect(await deliverQueuedNotifications(deps)).toEqual(["failed, retry in 20s"]);
    expect(deps.queue.peek(queueNames.notifications)[0]?.delayInSeconds).toBe(20);

    advance(deps, 20);
    expect(await deliverQueuedNotifications(deps)).toEqual(["sent"]);
    expect(await deliverQueuedNotifications(deps)).toEqual([]);
    expect(deps.email.sent).toHaveLength(1);
    note = deps.store.notificationsOf(id)[0]!;
    expect(note).toMatchObject({ status: "sent", attempts: 3, lastError: null });
  });

  it("sends the resolution of an incident as its own notification", async () => {
    const id = await fire(deps, { instance: "a1" });
    await deliverQueuedNotifications(deps);
    await resolve(deps, { instance: "a1" });
    await deliverQueuedNotifications(deps);

    expect(deps.store.notificationsOf(id).map((n) => [n.step, n.status])).toEqual([
      ["open", "sent"],
      ["resolved", "sent"],
    ]);
    expect(deps.email.sent.map((m) => m.subject)).toEqual([
      `[HIGH] ${id} opened: web-http5xx on phoenix-web-prod`,
      `[HIGH] ${id} resolved: web-http5xx on phoenix-web-prod`,
    ]);
  });
});

describe("notifications: email limits", () => {
  it("defers the third email within a minute when the limit is 2 a minute, and sends it the next minute", async () => {
    deps.policy = withLimits({ maxEmailsPerMinute: 2 });
    deps.clock.time = new Date("2026-11-26T06:00:15Z");
    for (const n of [1, 2, 3]) await fire(deps, { instance: `a${n}`, target: target(n) });

    expect(await deliverQueuedNotifications(deps)).toEqual([
      "sent",
      "sent",
      "deferred 45s by the email limits",
    ]);
    expect(deps.email.sent).toHaveLength(2);
    const [deferred] = deps.queue.peek(queueNames.notifications);
    expect(deferred?.delayInSeconds).toBe(45);

    advance(deps, 45);
    expect(await deliverQueuedNotifications(deps)).toEqual(["sent"]);
    expect(deps.email.sent).toHaveLength(3);
    expect(new Set(deps.email.sent.map((m) => m.idempotencyKey)).size).toBe(3);
  });

  it("defers to the next hour when the hourly limit is spent, whatever the minute allows", async () => {
    deps.policy = withLimits({ maxEmailsPerMinute: 2, maxEmailsPerHour: 3 });
    deps.clock.time = new Date("2026-11-26T06:10:00Z");
    for (const n of [1, 2, 3, 4]) await fire(deps, { instance: `a${n}`, target: target(n) });
    const messages = deps.queue.drain<NotificationMessage>(queueNames.notifications);

    const outcomes: string[] = [];
    for (const { message } of messages) {
      outcomes.push(await deliverNotification(deps, message));
      advance(deps, 60);
    }
    // 06:10 sent, 06:11 sent, 06:12 sent, 06:13 refused: 47 minutes to 07:00.
    expect(outcomes).toEqual(["sent", "sent", "sent", `deferred ${47 * 60}s by the email limits`]);

    deps.clock.time = new Date("2026-11-26T07:00:00Z");
    expect(await deliverQueuedNotifications(deps)).toEqual(["sent"]);
    expect(deps.email.sent).toHaveLength(4);
  });

  it("does not count a deferred delivery against the limits", async () => {
    deps.policy = withLimits({ maxEmailsPerMinute: 1 });
    for (const n of [1, 2]) await fire(deps, { instance: `a${n}`, target: target(n) });
    await deliverQueuedNotifications(deps);
    expect(deps.store.emailCounts.get("2026-11-26T06")).toEqual({ count: 1, minutes: { "00": 1 } });
  });
});

describe("notifications: digest", () => {
  it("puts openings past the threshold within one minute into one digest sent after the minute", async () => {
    expect(policy.incidents.digestThreshold).toBe(3);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      deps.clock.time = new Date(`2026-11-26T06:00:${String(n * 5).padStart(2, "0")}Z`);
      ids.push(await fire(deps, { instance: `a${n}`, target: target(n), rule: "unlisted-rule" }));
    }

    // The first three had their own email; the later three are in the digest.
    expect(ids.map((id) => deps.store.notificationsOf(id).length)).toEqual([1, 1, 1, 0, 0, 0]);
    const [digest, ...others] = deps.store.notificationsOf("digests");
    expect(others).toEqual([]);
    expect(digest).toMatchObject({
      id: "digest-202611260600",
      step: "digest 2026-11-26T06:00",
      to: recipients.default,
      status: "pending",
    });
    for (const id of ids.slice(3)) {
      expect(deps.store.events.get(id)!.map((e) => e.detail)).toContain(
        "included in the digest for 2026-11-26T06:00 UTC",
      );
    }

    const queued = deps.queue.peek<NotificationMessage>(queueNames.notifications);
    const digestMessages = queued.filter((m) => m.message.incidentId === "digests");
    expect(digestMessages).toHaveLength(1);
    expect(digestMessages[0]!.message).toEqual({
      incidentId: "digests",
      notificationId: "digest-202611260600",
    });
    // Queued at 06:00:20 to be seen once the minute is over (06:01:00), with a few seconds' grace.
    const delay = digestMessages[0]!.delayInSeconds;
    expect(delay).toBeGreaterThanOrEqual(40);
    expect(delay).toBeLessThanOrEqual(50);

    advance(deps, delay);
    const outcomes = await deliverQueuedNotifications(deps);
    expect(outcomes.filter((o) => o === "sent")).toHaveLength(4);
    expect(outcomes.filter((o) => o !== "sent").every((o) => o === "already sent")).toBe(true);
    const digests = deps.email.sent.filter((m) => m.subject.startsWith("[DIGEST]"));
    expect(digests).toHaveLength(1);
    const digestEmail = digests[0]!;
    expect(digestEmail.subject).toBe("[DIGEST] 6 incidents opened at 2026-11-26T06:00 UTC");
    expect(digestEmail.to).toEqual(recipients.default);
    for (const id of ids) {
      expect(digestEmail.text).toContain(id);
      expect(digestEmail.html).toContain(id);
    }
  });

  // The re-queue of an existing outbox row is only for a row whose first message was lost: in a storm,
  // each opening past the threshold must not queue the digest again.
  it("queues the digest's delivery once per minute, not once per opening past the threshold", async () => {
    for (const n of [1, 2, 3, 4, 5, 6]) {
      await fire(deps, { instance: `a${n}`, target: target(n), rule: "unlisted-rule" });
    }
    const digestMessages = deps.queue
      .history<NotificationMessage>(queueNames.notifications)
      .filter((m) => m.message.incidentId === "digests");
    expect(digestMessages).toHaveLength(1);
  });

  it("keeps counting per minute: openings in the next minute get their own emails again", async () => {
    for (const n of [1, 2, 3, 4]) await fire(deps, { instance: `a${n}`, target: target(n), rule: "r" });
    deps.clock.time = new Date("2026-11-26T06:01:00Z");
    const later = await fire(deps, { instance: "a5", target: strayVm, rule: "r" });
    expect(deps.store.notificationsOf(later).map((n) => n.step)).toEqual(["open"]);
    expect(deps.store.notificationsOf("digests").map((n) => n.id)).toEqual(["digest-202611260600"]);
  });
});
