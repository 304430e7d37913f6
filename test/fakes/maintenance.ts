import type { ChangeToken } from "../../src/shared/change-control/change-token.ts";
import { OpsError } from "../../src/shared/errors.ts";
import type {
  MaintenanceWindowRecord,
  MaintenanceWindowStore,
} from "../../src/shared/ports/maintenance-windows.ts";
import type {
  ReleaseEntry,
  ReleaseLedger,
  VerificationOutcome,
} from "../../src/shared/ports/release-ledger.ts";
import {
  type SlotState,
  type WebAppSlots,
  productionSlot,
  siteIdOf,
  slotIdOf,
} from "../../src/shared/ports/web-app-slots.ts";

const key = (...parts: string[]) => parts.join("|").toLowerCase();
type Target = { subscriptionId: string; resourceGroup: string; siteName: string };

/** Web apps and slots in memory, answering as the Resource Manager adapter does (contract: test/contract/maintenance-ports). */
export class FakeWebApps implements WebAppSlots {
  /** site key → slot name (lower case) → settings */
  readonly sites = new Map<string, { slots: Map<string, SlotState>; sticky: string[] }>();
  readonly swaps: { changeId: string; site: string; slot: string; targetSlot: string }[] = [];
  readonly settingWrites: { changeId: string; slot: string; settings: Record<string, string> }[] = [];
  /** Swaps that fail, in order: each an error thrown by the next swap. */
  swapFailures: Error[] = [];
  /** Called after each successful swap (a test may change the world there). */
  onSwap: (() => void) | undefined;

  addSite(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    slots: Record<string, Record<string, string>>,
  ): void {
    const map = new Map<string, SlotState>();
    for (const [slot, appSettings] of Object.entries(slots)) {
      map.set(slot.toLowerCase(), {
        id: slotIdOf(subscriptionId, resourceGroup, siteName, slot),
        siteName,
        slot,
        state: "Running",
        defaultHostName: `${slot === productionSlot ? siteName : `${siteName}-${slot}`}.azurewebsites.net`,
        targetSwapSlot: null,
        appSettings: { ...appSettings },
      });
    }
    this.sites.set(key(subscriptionId, resourceGroup, siteName), { slots: map, sticky: [] });
  }

  site(target: Target) {
    return this.sites.get(key(target.subscriptionId, target.resourceGroup, target.siteName));
  }

  async getSlot(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
    slot: string,
  ): Promise<SlotState | undefined> {
    const found = this.site({ subscriptionId, resourceGroup, siteName })?.slots.get(slot.toLowerCase());
    return found ? structuredClone(found) : undefined;
  }

  async listSlots(
    subscriptionId: string,
    resourceGroup: string,
    siteName: string,
  ): Promise<string[] | undefined> {
    const site = this.site({ subscriptionId, resourceGroup, siteName });
    return site ? [...site.slots.values()].map((s) => s.slot).filter((s) => s !== productionSlot) : undefined;
  }

  async slotSettingNames(subscriptionId: string, resourceGroup: string, siteName: string): Promise<string[]> {
    const site = this.site({ subscriptionId, resourceGroup, siteName });
    if (!site) throw new OpsError("NotFound", `site ${siteName} was not found`);
    return [...site.sticky];
  }

  async setAppSettings(
    token: ChangeToken,
    target: Target & { slot: string },
    settings: Record<string, string>,
    sticky: readonly string[],
  ): Promise<void> {
    token.assertFor(siteIdOf(target.subscriptionId, target.resourceGroup, target.siteName));
    const site = this.site(target);
    const slot = site?.slots.get(target.slot.toLowerCase());
    if (!site || !slot)
      throw new OpsError("NotFound", `slot ${target.siteName}/${target.slot} was not found`);
    for (const name of sticky) if (!site.sticky.includes(name)) site.sticky.push(name);
    slot.appSettings = { ...slot.appSettings, ...settings };
    this.settingWrites.push({ changeId: token.changeId, slot: target.slot, settings: { ...settings } });
  }

  async swap(token: ChangeToken, target: Target, slot: string, targetSlot: string): Promise<void> {
    token.assertFor(siteIdOf(target.subscriptionId, target.resourceGroup, target.siteName));
    if (slot.toLowerCase() === targetSlot.toLowerCase())
      throw new OpsError("BadRequest", `cannot swap slot ${slot} with itself`);
    const failure = this.swapFailures.shift();
    if (failure) throw failure;
    const site = this.site(target);
    const a = site?.slots.get(slot.toLowerCase());
    const b = site?.slots.get(targetSlot.toLowerCase());
    if (!site || !a || !b)
      throw new OpsError("NotFound", `slot ${slot} or ${targetSlot} of ${target.siteName} was not found`);
    const sticky = new Set(site.sticky);
    const moved = (own: Record<string, string>, other: Record<string, string>) => ({
      ...Object.fromEntries(Object.entries(own).filter(([k]) => sticky.has(k))),
      ...Object.fromEntries(Object.entries(other).filter(([k]) => !sticky.has(k))),
    });
    const [aSettings, bSettings] = [a.appSettings, b.appSettings];
    a.appSettings = moved(aSettings, bSettings);
    b.appSettings = moved(bSettings, aSettings);
    a.targetSwapSlot = null;
    b.targetSwapSlot = null;
    this.swaps.push({ changeId: token.changeId, site: target.siteName, slot, targetSlot });
    this.onSwap?.();
  }

  async resetSwapPreview(token: ChangeToken, target: Target): Promise<void> {
    token.assertFor(siteIdOf(target.subscriptionId, target.resourceGroup, target.siteName));
    for (const slot of this.site(target)?.slots.values() ?? []) slot.targetSwapSlot = null;
  }
}

export class MemoryMaintenanceWindows implements MaintenanceWindowStore {
  readonly windows = new Map<string, { record: MaintenanceWindowRecord; etag: number }>();

  async create(window: MaintenanceWindowRecord): Promise<void> {
    if (!this.windows.has(window.id))
      this.windows.set(window.id, { record: structuredClone(window), etag: 1 });
  }

  async get(id: string): Promise<MaintenanceWindowRecord | undefined> {
    const found = this.windows.get(id);
    return found ? structuredClone(found.record) : undefined;
  }

  async update(
    id: string,
    change: (current: MaintenanceWindowRecord) => MaintenanceWindowRecord | undefined,
  ): Promise<MaintenanceWindowRecord> {
    const found = this.windows.get(id);
    if (!found) throw new OpsError("NotFound", `no maintenance window ${id}`);
    const next = change(structuredClone(found.record));
    if (!next) return structuredClone(found.record);
    this.windows.set(id, { record: structuredClone(next), etag: found.etag + 1 });
    return structuredClone(next);
  }

  async listOpen(options: { environment?: string } = {}): Promise<MaintenanceWindowRecord[]> {
    return [...this.windows.values()]
      .map((w) => structuredClone(w.record))
      .filter(
        (w) =>
          w.status === "open" && (options.environment === undefined || w.environment === options.environment),
      )
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async listRecent(options: { limit?: number } = {}): Promise<MaintenanceWindowRecord[]> {
    return [...this.windows.values()]
      .map((w) => structuredClone(w.record))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, options.limit ?? 50);
  }
}

export class MemoryReleaseLedger implements ReleaseLedger {
  readonly entries = new Map<string, ReleaseEntry>();

  async record(entry: ReleaseEntry): Promise<void> {
    if (!this.entries.has(entry.id))
      this.entries.set(entry.id, { ...entry, siteId: entry.siteId.toLowerCase() });
  }

  async setVerification(id: string, verification: VerificationOutcome, summary: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) throw new OpsError("NotFound", `no release ${id}`);
    this.entries.set(id, { ...entry, verification, verificationSummary: summary });
  }

  async get(id: string): Promise<ReleaseEntry | undefined> {
    const entry = this.entries.get(id);
    return entry ? { ...entry } : undefined;
  }

  async list(options: { siteId?: string; limit?: number } = {}): Promise<ReleaseEntry[]> {
    return [...this.entries.values()]
      .filter((e) => options.siteId === undefined || e.siteId === options.siteId.toLowerCase())
      .sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id))
      .slice(0, options.limit ?? 100)
      .map((e) => ({ ...e }));
  }
}
