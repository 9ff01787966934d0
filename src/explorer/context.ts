import type { Connection } from '../connection/connectionManager';
import type { BuildRef } from '../builds/buildTracker';
import type { EnvironmentBuild } from '../api';

/** Which environments the view shows; set from the view's title bar, kept per machine. */
export interface EnvironmentFilter {
  type: 'custom' | 'base' | 'all';
  /** `key:value` pairs; an environment with any of them is shown (the API's own `labels` filter). */
  labels: Record<string, string>;
}

export const DEFAULT_FILTER: EnvironmentFilter = { type: 'custom', labels: {} };

/** What every node of one connection shares: the client, the view's filter, and the follower of running builds. */
export interface ExplorerContext {
  readonly connection: Connection;
  readonly filter: () => EnvironmentFilter;
  /** Starts following a build that is queued or processing; a no-op for finished builds. */
  readonly follow: (ref: BuildRef, build: EnvironmentBuild) => void;
}
