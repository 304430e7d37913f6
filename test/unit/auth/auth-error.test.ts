import { describe, expect, it } from "vitest";
import { AuthError } from "../../../src/shared/auth/entra-token.ts";
import { errorResponse } from "../../../src/shared/edge/problem.ts";
import { silentLogger } from "../../../src/shared/log.ts";

describe("AuthError", () => {
  it("is a 401 for token problems and a 403 for missing permissions", () => {
    expect(new AuthError("expired_token")).toMatchObject({ status: 401, message: "the token has expired" });
    expect(new AuthError("insufficient_role").status).toBe(403);
    expect(new AuthError("not_action_group").status).toBe(403);
  });

  it("takes the app's own message, kept safe inside the challenge header", () => {
    const error = new AuthError("invalid_claims", 'a "quoted" \\ line\r\nInjected: yes');
    expect(error.message).toBe('a "quoted" \\ line\r\nInjected: yes');
    expect(error.challenge).toBe(
      `Bearer realm="phoenix-ops", error="invalid_token", error_description="a 'quoted' ' line''Injected: yes"`,
    );
    const response = errorResponse(error, silentLogger);
    expect(response.headers).toMatchObject({ "www-authenticate": error.challenge });
  });
});
