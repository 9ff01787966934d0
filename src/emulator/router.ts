/** The emulator's routes: each resource's handlers by path pattern, and the match of a request's path segments. */
import { buildRoutes } from './handlers/builds';
import { environmentRoutes } from './handlers/environments';
import { logRoutes, projectRoutes } from './handlers/projects';
import { revisionRoutes } from './handlers/revisions';
import type { Handler, Services } from './handlers/services';
import type { Params } from './http';

export interface Route {
  segments: string[];
  methods: Record<string, Handler>;
}

export class Router {
  private readonly routes: Route[];

  constructor(services: Services) {
    const tables = [projectRoutes, environmentRoutes, revisionRoutes, buildRoutes, logRoutes].map((t) => t(services));
    this.routes = tables.flatMap((table) =>
      Object.entries(table).map(([pattern, methods]) => ({ segments: pattern.split('/'), methods })),
    );
  }

  /** The route whose pattern the segments fit (`:name` takes any one segment), with the parameters it named. */
  match(segments: string[]): { route: Route; params: Params } | null {
    for (const route of this.routes) {
      const params = matchRoute(route.segments, segments);
      if (params) {
        return { route, params };
      }
    }
    return null;
  }
}

function matchRoute(pattern: string[], segments: string[]): Params | null {
  if (pattern.length !== segments.length) {
    return null;
  }
  const params: Params = {};
  for (let i = 0; i < segments.length; i++) {
    const want = pattern[i];
    if (want.startsWith(':')) {
      params[want.slice(1)] = segments[i];
    } else if (want !== segments[i]) {
      return null;
    }
  }
  return params;
}
