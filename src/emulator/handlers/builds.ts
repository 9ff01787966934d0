/** Builds of a revision: rebuild, list, get, cancel, and the dependency files a build found. */
import type { EnvironmentBuildDependency } from '../../api/models';
import { buildAnswer } from '../answers';
import { isUnfinished, TRIGGER_REBUILD } from '../builds';
import { type Ctx, HttpError, sendJson } from '../http';
import { asObject, readJson } from '../jsonBody';
import { requireBuild, requireCustom, requireRevision } from '../lookup';
import type { BuildRecord, RevisionRecord } from '../store';
import { BUILD, REVISION, type RouteTable, type Services } from './services';

export function buildRoutes(s: Services): RouteTable {
  return {
    [`${REVISION}/rebuild`]: { POST: (c) => rebuild(s, c) },
    [`${REVISION}/builds`]: { GET: (c) => listBuilds(s, c) },
    [BUILD]: {
      GET: (c) => sendJson(c.res, 200, buildAnswer(requireBuild(s.store.state, c.params).build)),
      PATCH: (c) => cancelBuild(s, c),
    },
    [`${BUILD}/dependency-files`]: { GET: (c) => dependencyFiles(s, c) },
  };
}

/** A new build of the revision: finished before the answer when builds take 0 s, else running on its clock. */
export async function startBuild(s: Services, rev: RevisionRecord, trigger: string): Promise<BuildRecord> {
  const build = s.runner.create(rev, trigger);
  if (s.buildSeconds === 0) {
    await s.runner.completeNow(build);
  } else {
    s.runner.schedule(build);
  }
  await s.store.save();
  return build;
}

async function rebuild(s: Services, { req, res, params }: Ctx): Promise<void> {
  const { env, rev } = requireRevision(s.store.state, params);
  requireCustom(env, 'rebuilt');
  const body = await readJson(req);
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new HttpError(400, 'The body of a rebuild must be an empty object or absent.');
  }
  if (rev.expired) {
    throw new HttpError(400, `The file of revision "${rev.id}" has expired: upload a new file to build it again.`);
  }
  const build = await startBuild(s, rev, TRIGGER_REBUILD);
  // With `size` (null until known), as a server generated from the specification sends it.
  sendJson(res, 201, buildAnswer(build));
}

function listBuilds(s: Services, { res, params }: Ctx): void {
  const { rev } = requireRevision(s.store.state, params);
  const list = s.store.state.builds
    .filter((b) => b.revisionId === rev.id)
    .sort((a, b) => a.seq - b.seq)
    .map(buildAnswer);
  sendJson(res, 200, list);
}

async function cancelBuild(s: Services, { req, res, params }: Ctx): Promise<void> {
  const { build } = requireBuild(s.store.state, params);
  const body = asObject(await readJson(req));
  if (body.status !== 'cancelled') {
    throw new HttpError(
      400,
      `A build can only be updated to status "cancelled", not ${JSON.stringify(body.status ?? null)}.`,
    );
  }
  if (!isUnfinished(build)) {
    throw new HttpError(
      400,
      `Build "${build.id}" has already finished with status "${build.status}"; only running builds can be cancelled.`,
    );
  }
  // A cancel already on its way is answered as it stands.
  if (build.status !== 'cancelled_pending') {
    s.runner.cancel(build);
    await s.store.save();
  }
  sendJson(res, 200, buildAnswer(build));
}

function dependencyFiles(s: Services, { res, params }: Ctx): void {
  const { build } = requireBuild(s.store.state, params);
  const files: EnvironmentBuildDependency[] =
    build.status === 'success' || build.status === 'failed'
      ? build.files.map((f) => ({ name: f.name, content: f.content }))
      : [];
  sendJson(res, 200, files);
}
