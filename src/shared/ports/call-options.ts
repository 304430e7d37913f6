/** What every port call accepts, as the Azure SDK's operation options do. */
export interface CallOptions {
  abortSignal?: AbortSignal;
}
