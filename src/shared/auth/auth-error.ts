/**
 * Why a caller was refused. The `code` says precisely what was wrong, for logs and tests; the
 * `message` is fixed per code and never quotes the token or its claims, so it is safe to return to
 * the caller as is.
 */
export type AuthErrorCode =
  /** No Authorization header, or an empty one. */
  | "missing_token"
  /** Not `Bearer <compact JWS>`, or a header/payload that is not base64url JSON. */
  | "malformed_token"
  /** `alg: none`: no signature at all. */
  | "unsigned_token"
  /** Signed, but not with RS256 (HS256 with the public key as secret, ES256, ...). */
  | "disallowed_alg"
  /** The signature does not verify against any of the tenant's signing keys. */
  | "bad_signature"
  | "expired_token"
  | "token_not_yet_valid"
  | "wrong_audience"
  | "wrong_issuer"
  | "wrong_tenant"
  /** A claim the app relies on (exp, oid, tid, roles) is missing or has the wrong type. */
  | "invalid_claims"
  /** 403: a valid token without any of the roles the operation needs. */
  | "insufficient_role"
  /** 403: a valid token, but not from Azure Monitor action groups' service principal. */
  | "not_action_group";

const messages: Record<AuthErrorCode, string> = {
  missing_token: "the request has no bearer token",
  malformed_token: "the Authorization header is not a bearer token in JWT form",
  unsigned_token: "the token is not signed",
  disallowed_alg: "the token is not signed with an accepted algorithm",
  bad_signature: "the token's signature is not valid for the tenant's signing keys",
  expired_token: "the token has expired",
  token_not_yet_valid: "the token is not valid yet",
  wrong_audience: "the token was not issued for this API",
  wrong_issuer: "the token was not issued by the expected authority",
  wrong_tenant: "the token was issued for another tenant",
  invalid_claims: "the token lacks a required claim",
  insufficient_role: "the caller has none of the roles this operation needs",
  not_action_group: "only Azure Monitor action groups may call this endpoint",
};

const forbidden = new Set<AuthErrorCode>(["insufficient_role", "not_action_group"]);

export class AuthError extends Error {
  readonly status: 401 | 403;
  readonly code: AuthErrorCode;

  /**
   * `message` replaces the code's fixed one: the app's own words only, never anything from a token.
   * The cause stays server-side (logs); it is never part of the HTTP answer.
   */
  constructor(code: AuthErrorCode, message?: string, options: { cause?: unknown } = {}) {
    super(message ?? messages[code], { cause: options.cause });
    this.name = "AuthError";
    this.code = code;
    this.status = forbidden.has(code) ? 403 : 401;
  }

  /**
   * The WWW-Authenticate challenge of RFC 6750 §3: no error attribute when no token was sent,
   * `invalid_token` for any 401 about a token, `insufficient_scope` for a 403.
   */
  get challenge(): string {
    if (this.code === "missing_token") return 'Bearer realm="phoenix-ops"';
    const error = this.status === 403 ? "insufficient_scope" : "invalid_token";
    // A quoted-string may not hold a bare quote or backslash (RFC 9110 §5.6.4), and a header value
    // nothing outside printable ASCII.
    const description = this.message.replace(/["\\]|[^\x20-\x7e]/g, "'");
    return `Bearer realm="phoenix-ops", error="${error}", error_description="${description}"`;
  }
}

export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError;
}
