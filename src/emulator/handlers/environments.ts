/** Environments of a project: list, create, get, update, delete, and the deployment versions using one. */
import { randomUUID } from 'node:crypto';
import type { EnvironmentUsage } from '../../api/models';
import { environmentDetail, environmentList } from '../answers';
import { type Ctx, environmentType, HttpError, matchesLabels, parseBool, parseLabelFilter, sendJson } from '../http';
import { asObject, optionalString, readJson, requireString } from '../jsonBody';
import { requireCustom, requireEnvironment, requireProject } from '../lookup';
import { CUSTOM_ENVIRONMENT_FLAGS, type EnvironmentRecord, environmentTimestamp, type State } from '../store';
import { checkDescription, checkDisplayName, checkLabels, checkName } from './environmentFields';
import { ENVIRONMENT, type RouteTable, type Services } from './services';

export function environmentRoutes(s: Services): RouteTable {
  return {
    'projects/:project/environments': {
      GET: (c) => listEnvironments(s, c),
      POST: (c) => createEnvironment(s, c),
    },
    [ENVIRONMENT]: {
      GET: (c) => sendJson(c.res, 200, environmentDetail(s.store.state, requireEnvironment(s.store.state, c.params))),
      PATCH: (c) => updateEnvironment(s, c),
      DELETE: (c) => deleteEnvironment(s, c),
    },
    [`${ENVIRONMENT}/usage`]: { GET: (c) => usage(s, c) },
  };
}

function listEnvironments(s: Services, { res, params, query }: Ctx): void {
  requireProject(s.store.state, params.project);
  const type = environmentType(query);
  const wanted = parseLabelFilter(query.get('labels'));
  const format = parseBool(query.get('supports_request_format'), 'supports_request_format');
  const all = s.store.state.environments;
  const candidates = [
    ...(type === 'custom' ? [] : all.filter((e) => e.project === null)),
    ...(type === 'base' ? [] : all.filter((e) => e.project === params.project)),
  ];
  const list = candidates
    .filter((e) => matchesLabels(e.labels ?? {}, wanted))
    .filter((e) => format === undefined || e.supports_request_format === format)
    .map(environmentList);
  sendJson(res, 200, list);
}

/** The base environment named on create; null for none: an environment on a custom Docker image. */
function baseOf(state: State, project: string, baseName: string | null): EnvironmentRecord | null {
  if (baseName === null) {
    return null;
  }
  const base = state.environments.find((e) => e.name === baseName && e.project === null);
  if (base === undefined) {
    const custom = state.environments.some((e) => e.name === baseName && e.project === project);
    throw new HttpError(
      400,
      custom
        ? `"${baseName}" is a custom environment; base_environment must name a base environment.`
        : `Base environment "${baseName}" does not exist.`,
    );
  }
  return base;
}

async function createEnvironment(s: Services, { req, res, params }: Ctx): Promise<void> {
  const state = s.store.state;
  requireProject(state, params.project);
  const body = asObject(await readJson(req));
  const name = requireString(body, 'name');
  // Optional: absent, null or empty means an environment on a custom Docker image, without a base.
  const baseName = optionalString(body, 'base_environment') || null;
  checkName(state, params.project, name, null);
  const base = baseOf(state, params.project, baseName);
  const displayName = optionalString(body, 'display_name');
  checkDisplayName(displayName);
  const description = optionalString(body, 'description') ?? '';
  checkDescription(description);
  const labels = body.labels === undefined || body.labels === null ? {} : checkLabels(body.labels);
  const srf = body.supports_request_format;
  if (srf !== undefined && srf !== null && typeof srf !== 'boolean') {
    throw new HttpError(400, 'supports_request_format must be a boolean.');
  }
  const now = environmentTimestamp();
  const env: EnvironmentRecord = {
    id: randomUUID(),
    name,
    display_name: displayName ? displayName : name,
    base_environment: base?.name ?? null,
    base_environment_display_name: base?.display_name ?? null,
    project: params.project,
    creation_date: now,
    last_updated: now,
    description,
    labels,
    gpu_required: base?.gpu_required ?? false,
    ...CUSTOM_ENVIRONMENT_FLAGS,
    supports_request_format: typeof srf === 'boolean' ? srf : (base?.supports_request_format ?? false),
  };
  state.environments.push(env);
  await s.store.save();
  sendJson(res, 201, environmentList(env));
}

async function updateEnvironment(s: Services, { req, res, params }: Ctx): Promise<void> {
  const env = requireEnvironment(s.store.state, params);
  requireCustom(env, 'updated');
  const body = asObject(await readJson(req));
  const name = optionalString(body, 'name');
  const displayName = optionalString(body, 'display_name');
  const description = optionalString(body, 'description');
  const labels = body.labels === undefined ? undefined : checkLabels(body.labels);
  if (name !== undefined) {
    checkName(s.store.state, params.project, name, env);
  }
  checkDisplayName(displayName);
  checkDescription(description);
  if (body.base_environment !== undefined && body.base_environment !== env.base_environment) {
    throw new HttpError(400, 'The base environment of an environment cannot be changed.');
  }
  if (name !== undefined) env.name = name;
  if (displayName !== undefined) env.display_name = displayName === '' ? (name ?? env.name) : displayName;
  if (description !== undefined) env.description = description;
  if (labels !== undefined) env.labels = labels;
  env.last_updated = environmentTimestamp();
  await s.store.save();
  sendJson(res, 200, environmentDetail(s.store.state, env));
}

async function deleteEnvironment(s: Services, { res, params }: Ctx): Promise<void> {
  const env = requireEnvironment(s.store.state, params);
  requireCustom(env, 'deleted');
  const state = s.store.state;
  const users = state.deploymentVersions.filter((v) => v.environmentId === env.id);
  if (users.length > 0) {
    const names = users.map((v) => `${v.deployment}/${v.version}`).join(', ');
    throw new HttpError(
      400,
      `Environment "${env.name}" is used by deployment version(s) ${names}. ` +
        'Move them to another environment first, then delete it.',
    );
  }
  const revisionIds = state.revisions.filter((r) => r.environmentId === env.id).map((r) => r.id);
  for (const b of state.builds.filter((b) => b.environmentId === env.id)) {
    s.runner.clear(b.id);
  }
  state.environments = state.environments.filter((e) => e !== env);
  state.revisions = state.revisions.filter((r) => r.environmentId !== env.id);
  s.logs.remove(state.builds.filter((b) => b.environmentId === env.id).map((b) => b.id));
  state.builds = state.builds.filter((b) => b.environmentId !== env.id);
  await s.store.save();
  await Promise.all(revisionIds.map((id) => s.store.removeZip(id)));
  res.writeHead(204);
  res.end();
}

/**
 * The versions using the environment, and for a base environment also those using the project's environments built
 * on it; `environment_type` keeps only versions whose own environment is a base (`base`) or a custom (`custom`) one.
 */
function usage(s: Services, { res, params, query }: Ctx): void {
  const env = requireEnvironment(s.store.state, params);
  const type = environmentType(query);
  const state = s.store.state;
  const users = state.environments.filter(
    (e) => e === env || (env.project === null && e.project === params.project && e.base_environment === env.name),
  );
  const byId = new Map(
    users.filter((e) => type === 'all' || (type === 'base') === (e.project === null)).map((e) => [e.id, e]),
  );
  const list: EnvironmentUsage[] = [];
  for (const v of state.deploymentVersions) {
    const used = byId.get(v.environmentId);
    if (used && v.project === params.project) {
      list.push({
        id: v.id,
        deployment: v.deployment,
        version: v.version,
        environment: used.name,
        environment_display_name: used.display_name ?? used.name,
        status: v.status,
      });
    }
  }
  sendJson(res, 200, list);
}
