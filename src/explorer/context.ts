import type { Connection } from '../connection/connectionManager';
import type { EnvironmentFilter } from '../model/environmentsModel';
import type { EnvironmentsModel } from '../model/environmentsModel';
import type { NodeCache } from './nodeCache';

export type { EnvironmentFilter } from '../model/environmentsModel';

export const DEFAULT_FILTER: EnvironmentFilter = { type: 'custom', labels: {} };

/** What every node of one connection shares: the connection, its model, the view's filter, and the node cache. */
export interface ExplorerContext {
  readonly connection: Connection;
  readonly model: EnvironmentsModel;
  readonly filter: () => EnvironmentFilter;
  /** One node object per id, the one VS Code was given: rendering a level again updates it in place. */
  readonly nodes: NodeCache;
}
