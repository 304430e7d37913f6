import type { Incident, IncidentEvent } from "../incidents/model.ts";
import type { CallOptions } from "./call-options.ts";

/**
 * Incidents, their dedup keys and their history. Updates use ETags: `updateIncident` re-reads and
 * re-applies the change when another instance got there first, so no update is lost.
 */
export interface IncidentStore {
  /** Claims the open incident for a dedup key. Exactly one caller creates it; the others learn its id. */
  claimIncidentKey(
    dedupKey: string,
    incidentId: string,
    options?: CallOptions,
  ): Promise<{ created: boolean; incidentId: string }>;
  /** The incident that holds the key now, if any: a read, it claims nothing. */
  findIncidentKey(dedupKey: string, options?: CallOptions): Promise<string | undefined>;
  /** Frees the key of a resolved incident, so the next fire opens a new one. */
  releaseIncidentKey(dedupKey: string, incidentId: string, options?: CallOptions): Promise<void>;

  /** "exists" when another instance wrote the incident first. */
  createIncident(incident: Incident, options?: CallOptions): Promise<"created" | "exists">;
  getIncident(id: string, options?: CallOptions): Promise<Incident | undefined>;
  /**
   * Applies `change` to the current version; retried on an ETag conflict. `change` returns undefined to
   * leave the incident as it is.
   */
  updateIncident(
    id: string,
    change: (current: Incident) => Incident | undefined,
    options?: CallOptions,
  ): Promise<Incident>;
  listIncidents(
    query: { status?: Incident["status"]; limit: number },
    options?: CallOptions,
  ): Promise<Incident[]>;
  listIncidentsOpenedBetween(from: string, to: string, options?: CallOptions): Promise<Incident[]>;

  appendEvent(incidentId: string, event: IncidentEvent, options?: CallOptions): Promise<void>;
  /** The incident's history, oldest first. */
  listEvents(incidentId: string, options?: CallOptions): Promise<IncidentEvent[]>;
}
