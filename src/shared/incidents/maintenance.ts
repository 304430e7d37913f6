import type { MaintenanceWindow, OpsPolicy } from "../config/policy.ts";
import { normalizeId } from "../azure-ids.ts";
import { ncrontab } from "../config/ncrontab.ts";
import { knownName } from "../names.ts";
import type { MaintenanceWindowStore } from "../ports/maintenance-windows.ts";

function covers(
  window: MaintenanceWindow,
  policy: OpsPolicy,
  environment: string | null,
  targets: readonly string[],
): boolean {
  if (window.resources && window.resources.length > 0) {
    const env = window.environment ? knownName(policy.environments, window.environment) : undefined;
    const ids = new Set(
      window.resources.map((r) =>
        normalizeId((env ? knownName(env.components, r)?.resourceId : undefined) ?? r),
      ),
    );
    return targets.some((t) => ids.has(normalizeId(t)));
  }
  return window.environment !== undefined && window.environment === environment;
}

function isOpen(window: MaintenanceWindow, now: Date): boolean {
  if (window.start && window.end) {
    return Date.parse(window.start) <= now.getTime() && now.getTime() < Date.parse(window.end);
  }
  if (window.schedule && window.durationMinutes) {
    // Inside a recurring window when its latest start is less than one duration ago: the first start
    // after (now - duration) is then at or before now.
    const from = new Date(now.getTime() - window.durationMinutes * 60_000);
    const start = ncrontab(window.schedule).nextRun(from);
    return start !== null && start.getTime() <= now.getTime();
  }
  return false;
}

/** The maintenance window, if any, that covers these resources now. */
export function activeWindow(
  policy: OpsPolicy,
  environment: string | null,
  targets: readonly string[],
  now: Date,
): MaintenanceWindow | undefined {
  return policy.maintenanceWindows.find((w) => covers(w, policy, environment, targets) && isOpen(w, now));
}

/**
 * The window opened at run time (`maintenance start`, kept in Table storage) that covers an
 * environment now, if any. Its name is the window's id and reason.
 */
export async function runtimeWindow(
  store: MaintenanceWindowStore | undefined,
  environment: string | null,
  now: Date,
): Promise<Pick<MaintenanceWindow, "name"> | undefined> {
  if (!store || !environment) return undefined;
  // Past its planned end a window no longer covers anything, even before its end message is handled.
  const [open] = (await store.listOpen({ environment })).filter(
    (w) => Date.parse(w.plannedEnd) > now.getTime(),
  );
  return open ? { name: `${open.id} (${open.reason})` } : undefined;
}
