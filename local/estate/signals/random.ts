import { createHash } from "node:crypto";

/**
 * Seeded randomness: every simulated value is a pure function of a key (scenario, resource, metric,
 * timestamp), so two runs and two processes see the same estate and tests never flake.
 */

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A number in [0, 1) fixed by the key (one step of mulberry32 over the key's hash). */
export function unitNoise(key: string): number {
  let t = (hash32(key) + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A number in [-1, 1) fixed by the key. */
export function signedNoise(key: string): number {
  return unitNoise(key) * 2 - 1;
}

/** A GUID-shaped id fixed by the key, for object ids and database ids that must be stable. */
export function stableUuid(key: string): string {
  const hex = createHash("sha256").update(key).digest("hex");
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
