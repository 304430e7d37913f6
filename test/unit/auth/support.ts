import type { HttpResponseInit } from "@azure/functions";
import { expect } from "vitest";
import type { LocalClient } from "../../../local/estate/auth/app-registrations.ts";
import type { Estate } from "../../../local/estate/index.ts";
import { AuthError } from "../../../src/shared/auth/entra-token.ts";
import { errorResponse } from "../../../src/shared/edge/problem.ts";
import { silentLogger } from "../../../src/shared/log.ts";

/** A client-credentials token from the estate's Entra token endpoint, as a confidential client gets it. */
export async function clientToken(
  estate: Estate,
  client: LocalClient,
  scope = "api://phoenix-ops/.default",
): Promise<string> {
  const response = await fetch(`${estate.url}/${estate.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_secret: client.clientSecret,
      scope,
    }).toString(),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The problem+json text of an HTTP answer (problemResponse always sets a string body). */
export function bodyText(response: HttpResponseInit): string {
  if (typeof response.body !== "string") throw new Error("expected a string body");
  return response.body;
}

/**
 * Awaits a refusal and checks it: an AuthError with the status and code, whose message and HTTP answer
 * quote nothing from the token (no segment of it, none of the given claim values).
 */
export async function expectRefused(
  attempt: Promise<unknown>,
  status: 401 | 403,
  code: string,
  secrets: string[] = [],
): Promise<AuthError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${status} ${code}`).toBeInstanceOf(AuthError);
  const auth = error as AuthError;
  expect({ status: auth.status, code: auth.code }).toEqual({ status, code });
  const response = errorResponse(auth, silentLogger);
  const visible = `${auth.message} ${bodyText(response)} ${JSON.stringify(response.headers)}`;
  for (const secret of secrets.flatMap((s) => s.split(".")).filter((s) => s.length >= 8)) {
    expect(visible).not.toContain(secret);
  }
  return auth;
}
