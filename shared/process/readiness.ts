/**
 * Whether this process should be sent traffic. It is created once the
 * process has started (connected, migrated when it migrates): a process
 * still starting does not listen, so it cannot answer ready. From SIGTERM
 * on it is draining: /readyz answers 503 while requests in flight (and, for
 * SHUTDOWN_DRAIN_MS, new ones) are still served. Store health is not part
 * of it (shared/storage/store-health.ts).
 */
export interface Readiness {
  isDraining(): boolean;
  drain(): void;
}

export function createReadiness(): Readiness {
  let isDraining = false;
  return {
    isDraining: () => isDraining,
    drain: () => {
      isDraining = true;
    },
  };
}
