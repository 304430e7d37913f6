/**
 * App Service plan SKUs as Resource Manager names them, with the tier each name belongs to. A plan's PUT
 * carries both, as az sends them (the Web provider goes by the name). Names are matched
 * case-insensitively and kept upper case (`P2V2`), as `az appservice plan update --sku` takes them;
 * Azure reports them as `P2v2`.
 */
const tiers: Record<string, string> = {
  F1: "Free",
  D1: "Shared",
  B1: "Basic",
  B2: "Basic",
  B3: "Basic",
  S1: "Standard",
  S2: "Standard",
  S3: "Standard",
  P1V2: "PremiumV2",
  P2V2: "PremiumV2",
  P3V2: "PremiumV2",
  P0V3: "PremiumV3",
  P1V3: "PremiumV3",
  P2V3: "PremiumV3",
  P3V3: "PremiumV3",
  I1V2: "IsolatedV2",
  I2V2: "IsolatedV2",
  I3V2: "IsolatedV2",
};

export const appServiceSkuNames: readonly string[] = Object.keys(tiers);

/** The SKU's canonical name, or undefined when App Service has no such SKU. */
export function canonicalSku(name: string): string | undefined {
  const upper = name.trim().toUpperCase();
  return Object.hasOwn(tiers, upper) ? upper : undefined;
}

export function tierOf(name: string): string | undefined {
  const sku = canonicalSku(name);
  return sku === undefined ? undefined : tiers[sku];
}

/** Plans of these tiers run one instance only: their instance count cannot be raised. */
export function isSingleInstanceTier(tier: string): boolean {
  return tier === "Free" || tier === "Shared";
}
