import { describe, expect, it } from "vitest";
import { activeWindow } from "../../../src/shared/incidents/maintenance.ts";
import { queueNames } from "../../../src/shared/ports/work-queue.ts";
import { deliverAlert, fire, makeDeps, policy, prodApi, prodWeb, resolve, stagingWeb } from "./support.ts";

describe("maintenance windows", () => {
  it("suppresses paging for an incident opened inside a one-off window of its environment", async () => {
    const deps = makeDeps("2026-12-01T02:30:00Z");
    const id = await fire(deps, { instance: "s1", rule: "web-http5xx", target: stagingWeb });

    const incident = deps.store.incident(id);
    expect(incident).toMatchObject({
      status: "open",
      suppressedBy: "staging-upgrade",
      environment: "staging",
    });
    expect(deps.queue.history(queueNames.notifications)).toEqual([]);
    expect(deps.store.notifications.size).toBe(0);
    expect(deps.store.eventTypes(id)).toEqual(["opened", "suppressed"]);
    expect(deps.store.events.get(id)![1]!.detail).toContain('"staging-upgrade"');
  });

  it("still resolves a suppressed incident when its alerts resolve, and tells nobody", async () => {
    const deps = makeDeps("2026-12-01T02:30:00Z");
    const id = await fire(deps, { instance: "s1", target: stagingWeb });
    const result = await resolve(deps, { instance: "s1", target: stagingWeb });

    expect(result.outcome).toBe("auto-resolved");
    const incident = deps.store.incident(id);
    expect(incident.status).toBe("resolved");
    expect(deps.store.keys.has(incident.dedupKey)).toBe(false);
    expect(deps.queue.history(queueNames.notifications)).toEqual([]);
  });

  it("does not suppress other environments during the window", async () => {
    const deps = makeDeps("2026-12-01T02:30:00Z");
    const id = await fire(deps, { instance: "p1", target: prodWeb });
    expect(deps.store.incident(id).suppressedBy).toBeNull();
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(1);
  });

  it.each([
    ["just before the one-off window", "2026-12-01T00:59:59Z", null],
    ["at its start", "2026-12-01T01:00:00Z", "staging-upgrade"],
    ["just before its end", "2026-12-01T02:59:59Z", "staging-upgrade"],
    ["at its end (exclusive)", "2026-12-01T03:00:00Z", null],
  ])("suppresses or not %s (suppressedBy %s)", async (_label, at, suppressedBy) => {
    const deps = makeDeps(at);
    const id = await fire(deps, { instance: "s1", target: stagingWeb });
    expect(deps.store.incident(id).suppressedBy).toBe(suppressedBy);
  });

  it("suppresses paging inside the recurring Sunday window (02:00 UTC for 120 minutes)", async () => {
    const deps = makeDeps("2026-11-29T02:30:00Z");
    expect(deps.clock.now().getUTCDay()).toBe(0);
    const id = await fire(deps, { instance: "p1", target: prodApi, rule: "api-latency" });

    expect(deps.store.incident(id).suppressedBy).toBe("prod-sunday-patching");
    expect(deps.queue.history(queueNames.notifications)).toEqual([]);
    expect(deps.queue.history(queueNames.escalations)).toEqual([]);
  });

  it("pages outside the recurring window on the same Sunday", async () => {
    const deps = makeDeps("2026-11-29T05:00:00Z");
    const result = await deliverAlert(deps, { instance: "p1", target: prodWeb });
    expect(deps.store.incident(result.incidentId!).suppressedBy).toBeNull();
    expect(deps.queue.history(queueNames.notifications)).toHaveLength(1);
  });

  it.each([
    ["Sunday 01:59:59", "2026-11-29T01:59:59Z", undefined],
    ["Sunday 02:00:00", "2026-11-29T02:00:00Z", "prod-sunday-patching"],
    ["Sunday 03:59:59", "2026-11-29T03:59:59Z", "prod-sunday-patching"],
    ["Sunday 04:00:00", "2026-11-29T04:00:00Z", undefined],
    ["Monday 02:30", "2026-11-30T02:30:00Z", undefined],
    ["the next Sunday 02:30", "2026-12-06T02:30:00Z", "prod-sunday-patching"],
  ])("judges the recurring window at %s", (_label, at, expected) => {
    expect(activeWindow(policy, "prod", [prodWeb], new Date(at))?.name).toBe(expected);
  });
});
