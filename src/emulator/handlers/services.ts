/** What the handlers work with: the state, the builds and their logs, the bandwidth model and the settings. */
import type { User } from '../../api/models';
import type { BuildRunner } from '../builds';
import type { Ctx } from '../http';
import type { BuildLogs } from '../logs';
import type { Bandwidth } from '../middleware';
import type { Store } from '../store';

export interface Services {
  readonly store: Store;
  readonly runner: BuildRunner;
  readonly logs: BuildLogs;
  readonly bandwidth: Bandwidth;
  /** The signed-in user: `GET /user`, and `created_by` of uploads and copies. */
  readonly user: User;
  readonly buildSeconds: number;
  readonly maxUploadBytes: number;
}

/** A handler of one method of one route. */
export type Handler = (ctx: Ctx) => void | Promise<void>;

/** The methods of one route pattern, e.g. `projects/:project/environments`. */
export type RouteTable = Record<string, Record<string, Handler>>;

/** The route patterns of the nested resources. */
export const ENVIRONMENT = 'projects/:project/environments/:environment';
export const REVISION = `${ENVIRONMENT}/revisions/:revision`;
export const BUILD = `${REVISION}/builds/:build`;
