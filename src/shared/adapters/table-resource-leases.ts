import { RestError } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import { sha256 } from "../hashing.ts";
import type { CallOptions } from "../ports/call-options.ts";
import type { ResourceLeases } from "../ports/resource-leases.ts";
import { storeError } from "./storage-errors.ts";
import { ignoreConflict } from "./table-run-history.ts";

interface LeaseEntity {
  partitionKey: string;
  rowKey: string;
  etag: string;
  holder: string;
  expiresAt: string;
}

/**
 * Leases as Table rows: the first insert wins; a row past its expiry is taken over with its ETag, so
 * of two instances taking an expired lease at once only one succeeds.
 */
export class TableResourceLeases implements ResourceLeases {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly leases: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= ignoreConflict(this.leases.createTable()).catch((error: unknown) => {
      this.ready = undefined;
      throw storeError("could not prepare the leases table", error);
    });
    return this.ready;
  }

  async acquire(
    resourceId: string,
    holder: string,
    ttlInMs: number,
    options: CallOptions = {},
  ): Promise<boolean> {
    await this.ensure();
    const rowKey = sha256(resourceId.toLowerCase());
    const expiresAt = new Date(this.now().getTime() + ttlInMs).toISOString();
    try {
      await this.leases.createEntity(
        { partitionKey: "lease", rowKey, holder, expiresAt },
        { abortSignal: options.abortSignal },
      );
      return true;
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409))
        throw storeError(`could not lease ${resourceId}`, error);
    }
    try {
      const current = await this.leases.getEntity<LeaseEntity>("lease", rowKey, {
        abortSignal: options.abortSignal,
      });
      const free = current.holder === holder || Date.parse(current.expiresAt) <= this.now().getTime();
      if (!free) return false;
      await this.leases.updateEntity({ partitionKey: "lease", rowKey, holder, expiresAt }, "Replace", {
        etag: current.etag,
        abortSignal: options.abortSignal,
      });
      return true;
    } catch (error) {
      // Someone else took it between our read and our write, or released it: not ours this time.
      if (error instanceof RestError && (error.statusCode === 412 || error.statusCode === 404)) return false;
      throw storeError(`could not lease ${resourceId}`, error);
    }
  }

  async release(resourceId: string, holder: string, options: CallOptions = {}): Promise<void> {
    await this.ensure();
    const rowKey = sha256(resourceId.toLowerCase());
    try {
      const current = await this.leases.getEntity<LeaseEntity>("lease", rowKey, {
        abortSignal: options.abortSignal,
      });
      if (current.holder !== holder) return;
      await this.leases.deleteEntity("lease", rowKey, {
        etag: current.etag,
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 412)) return;
      throw storeError(`could not release the lease of ${resourceId}`, error);
    }
  }
}
