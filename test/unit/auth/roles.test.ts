import { describe, expect, it } from "vitest";
import { phoenixOpsApi } from "../../../local/estate/auth/app-registrations.ts";
import type { Caller } from "../../../src/shared/auth/entra-token.ts";
import { AuthError, opsRoles, requireRole } from "../../../src/shared/auth/entra-token.ts";

const caller = (roles: string[]): Caller => ({
  objectId: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
  appId: "a1c3e5f7-2b4d-4f6a-8c1e-3a5c7e9b1d2f",
  name: null,
  roles,
  tenantId: "7d0c5b2a-9e4f-4a1b-8c3d-2e5f6a7b8c9d",
  kind: "app",
});

describe("requireRole", () => {
  it("passes with any one of the roles", () => {
    expect(() =>
      requireRole(caller([opsRoles.operator]), [opsRoles.reader, opsRoles.operator]),
    ).not.toThrow();
  });

  it("answers 403 insufficient_role without one, comparing role values exactly", () => {
    for (const roles of [[], [opsRoles.reader], ["ops.operator"], ["Ops.Operator "]]) {
      const attempt = () => requireRole(caller(roles), [opsRoles.operator]);
      expect(attempt).toThrow(AuthError);
      expect(attempt).toThrow(expect.objectContaining({ status: 403, code: "insufficient_role" }));
    }
  });

  it("refuses to be called with no roles at all (a wiring mistake)", () => {
    expect(() => requireRole(caller([opsRoles.operator]), [])).toThrow(/at least one role/);
  });

  it("names the roles the estate's app registration defines", () => {
    expect(opsRoles.reader).toBe(phoenixOpsApi.roles.reader);
    expect(opsRoles.operator).toBe(phoenixOpsApi.roles.operator);
  });
});
