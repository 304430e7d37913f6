import { AuthError } from "./auth-error.ts";
import type { Caller } from "./caller.ts";

/** The app roles the Phoenix Ops API registration defines (its manifest's appRoles `value`s). */
export const opsRoles = {
  /** Read-only: health, reports, status. */
  reader: "Ops.Reader",
  /** Runs procedures that change the estate (scale, swap, rollback, rotation, backup). */
  operator: "Ops.Operator",
} as const;

export type OpsRole = (typeof opsRoles)[keyof typeof opsRoles];

/**
 * Passes when the caller holds at least one of `anyOf` (the `roles` claim, compared exactly as Entra
 * emits the role values); otherwise a 403 `insufficient_role`.
 */
export function requireRole(caller: Caller, anyOf: readonly string[]): void {
  // An empty list is a wiring mistake, not a policy: refuse loudly rather than let everyone in.
  if (anyOf.length === 0) throw new Error("requireRole needs at least one role");
  if (!anyOf.some((role) => caller.roles.includes(role))) throw new AuthError("insufficient_role");
}
