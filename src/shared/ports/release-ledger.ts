import type { CallOptions } from "./call-options.ts";

export type VerificationOutcome = "passed" | "failed" | "unknown" | "pending" | "skipped";

/** One entry of the release ledger: a version that went live on a site (or was staged for it). */
export interface ReleaseEntry {
  id: string;
  /** The site's id (lower case). */
  siteId: string;
  siteName: string;
  environment: string;
  version: string;
  /** The immutable artifact: the WEBSITE_RUN_FROM_PACKAGE URL of a versioned blob, or an image by digest. */
  package: string | null;
  /** "live": went live in production; "staged": deployed to a slot by a pipeline. */
  kind: "live" | "staged";
  slot: string;
  at: string;
  by: string;
  /** swap, swap-back, rollback, deploy (a pipeline's direct deployment), registered. */
  via: string;
  verification: VerificationOutcome;
  verificationSummary: string | null;
  changeId: string | null;
}

/** Every version that went live, newest first; the source of "last known good". */
export interface ReleaseLedger {
  /** Adds an entry; an entry with the same id is left as it is (a redelivery). */
  record(entry: ReleaseEntry, options?: CallOptions): Promise<void>;
  /** Sets an entry's verification outcome. */
  setVerification(
    id: string,
    outcome: VerificationOutcome,
    summary: string,
    options?: CallOptions,
  ): Promise<void>;
  get(id: string, options?: CallOptions): Promise<ReleaseEntry | undefined>;
  /** Newest first; of one site when `siteId` is given. */
  list(options?: CallOptions & { siteId?: string; limit?: number }): Promise<ReleaseEntry[]>;
}
