import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import type { CallOptions } from "../ports/call-options.ts";
import type { ScheduledRun, ScheduledRunClaims } from "../ports/scheduled-run-claims.ts";
import { storeError } from "./storage-errors.ts";
import { ignoreConflict } from "./table-run-history.ts";

/** Claims as Table rows: an insert that only one caller can win (409 for the others). */
export class TableRunClaims implements ScheduledRunClaims {
  private ready: Promise<void> | undefined;

  constructor(private readonly claims: TableClient) {}

  private ensure(): Promise<void> {
    this.ready ??= ignoreConflict(this.claims.createTable()).catch((error: unknown) => {
      this.ready = undefined;
      throw storeError("could not prepare the claims table", error);
    });
    return this.ready;
  }

  async claimRun(run: ScheduledRun, owner: string, options: CallOptions = {}): Promise<boolean> {
    await this.ensure();
    try {
      await this.claims.createEntity(
        {
          partitionKey: run.procedure,
          rowKey: `${run.scope}|${run.period}`,
          owner,
          claimedAt: new Date().toISOString(),
        },
        { abortSignal: options.abortSignal },
      );
      return true;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 409) return false;
      throw storeError(`could not claim ${run.procedure} for ${run.scope} ${run.period}`, error);
    }
  }

  async releaseRun(run: ScheduledRun, owner: string, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    const rowKey = `${run.scope}|${run.period}`;
    try {
      const entity = await this.claims.getEntity<{ owner: string; etag: string }>(run.procedure, rowKey, {
        abortSignal: options.abortSignal,
      });
      // Only the owner gives a claim back, and only the version it read (ETag): never someone else's.
      if (entity.owner === owner) {
        await this.claims.deleteEntity(run.procedure, rowKey, {
          etag: entity.etag,
          abortSignal: options.abortSignal,
        });
      }
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 412)) return;
      throw storeError(`could not release ${run.procedure} for ${run.scope} ${run.period}`, error);
    }
  }
}
