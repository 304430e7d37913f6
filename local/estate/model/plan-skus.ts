import type { PlanSku } from "./resource-shapes.ts";

/**
 * App Service plan SKUs as the Web provider derives them. A plan's PUT carries a whole `sku` object,
 * but the provider reads only its `name` and fills in tier, size and family itself: az sends the new
 * name with the old size and family (`{"name": "P2V2", "tier": "PREMIUMV2", "size": "P1v3", "family":
 * "Pv3"}`), and the plan comes back as `P2v2` / `PremiumV2` / `P2v2` / `Pv2`. Names are matched
 * case-insensitively and reported in the provider's own case.
 */

interface SkuFamily {
  /** Matches the upper-cased name; group 1 is the size number. */
  pattern: RegExp;
  tier: string;
  family: string;
  /** The reported name for a size number, e.g. 2 → `P2v2`. */
  name: (size: string) => string;
  sizes: readonly string[];
  /** The most instances a plan of this tier can run. */
  maximumWorkers: number;
}

const families: readonly SkuFamily[] = [
  {
    pattern: /^F(1)$/,
    tier: "Free",
    family: "F",
    name: (n) => `F${n}`,
    sizes: ["1"],
    maximumWorkers: 1,
  },
  {
    pattern: /^D(1)$/,
    tier: "Shared",
    family: "D",
    name: (n) => `D${n}`,
    sizes: ["1"],
    maximumWorkers: 1,
  },
  {
    pattern: /^B(\d)$/,
    tier: "Basic",
    family: "B",
    name: (n) => `B${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 3,
  },
  {
    pattern: /^S(\d)$/,
    tier: "Standard",
    family: "S",
    name: (n) => `S${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 10,
  },
  {
    pattern: /^P(\d)$/,
    tier: "Premium",
    family: "P",
    name: (n) => `P${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 20,
  },
  {
    pattern: /^P(\d)V2$/,
    tier: "PremiumV2",
    family: "Pv2",
    name: (n) => `P${n}v2`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 30,
  },
  {
    pattern: /^P(\d)V3$/,
    tier: "PremiumV3",
    family: "Pv3",
    name: (n) => `P${n}v3`,
    sizes: ["0", "1", "2", "3"],
    maximumWorkers: 30,
  },
  {
    pattern: /^P(\d)MV3$/,
    tier: "PremiumMV3",
    family: "Pmv3",
    name: (n) => `P${n}mv3`,
    sizes: ["1", "2", "3", "4", "5"],
    maximumWorkers: 30,
  },
  {
    pattern: /^I(\d)$/,
    tier: "Isolated",
    family: "I",
    name: (n) => `I${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 100,
  },
  {
    pattern: /^I(\d)V2$/,
    tier: "IsolatedV2",
    family: "Iv2",
    name: (n) => `I${n}v2`,
    sizes: ["1", "2", "3", "4", "5", "6"],
    maximumWorkers: 100,
  },
  {
    pattern: /^EP(\d)$/,
    tier: "ElasticPremium",
    family: "EP",
    name: (n) => `EP${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 20,
  },
  {
    pattern: /^WS(\d)$/,
    tier: "WorkflowStandard",
    family: "WS",
    name: (n) => `WS${n}`,
    sizes: ["1", "2", "3"],
    maximumWorkers: 20,
  },
];

/** The names az accepts for the free and shared tiers besides F1 and D1. */
const aliases: Record<string, string> = { FREE: "F1", SHARED: "D1" };

export interface DerivedSku {
  name: string;
  tier: string;
  size: string;
  family: string;
  maximumWorkers: number;
  /** Compute relative to a size-1 instance (0 → ½, 1 → 1, 2 → 2, 3 → 4, ...), for simulated load. */
  computeUnits: number;
}

/** The SKU the provider makes of a requested name; undefined when App Service has no such SKU. */
export function deriveSku(requested: string): DerivedSku | undefined {
  const upper = requested.trim().toUpperCase();
  const name = Object.hasOwn(aliases, upper) ? (aliases[upper] ?? upper) : upper;
  for (const family of families) {
    const size = family.pattern.exec(name)?.[1];
    if (size === undefined || !family.sizes.includes(size)) continue;
    const reported = family.name(size);
    return {
      name: reported,
      tier: family.tier,
      size: reported,
      family: family.family,
      maximumWorkers: family.maximumWorkers,
      computeUnits: 2 ** (Number(size) - 1),
    };
  }
  return undefined;
}

/** A plan's sku object for a derived SKU and an instance count. */
export function planSku(sku: DerivedSku, capacity: number): PlanSku {
  return { name: sku.name, tier: sku.tier, size: sku.size, family: sku.family, capacity };
}

/** Free and Shared plans run on shared workers: no instance count of their own. */
export function isSharedTier(tier: string): boolean {
  return tier === "Free" || tier === "Shared";
}

/**
 * A plan's compute (size units × instances), from its current sku object; 1 for the seeded P1v3 × 1.
 * Simulated load divides by it, so a bigger SKU or more instances lowers the CPU percentage.
 */
export function planComputeUnits(sku: Record<string, unknown> | undefined): number {
  const derived = typeof sku?.["name"] === "string" ? deriveSku(sku["name"]) : undefined;
  const capacity = typeof sku?.["capacity"] === "number" && sku["capacity"] > 0 ? sku["capacity"] : 1;
  return (derived?.computeUnits ?? 1) * capacity;
}
