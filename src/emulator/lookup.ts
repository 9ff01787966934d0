/** Finding what a request's path names, with the 404 (or 403) that UbiOps answers when it is not there. */
import { HttpError, type Params } from './http';
import type { BuildRecord, EnvironmentRecord, RevisionRecord, State } from './store';

export function requireProject(state: State, name: string): void {
  if (!state.projects.some((p) => p.name === name)) {
    throw new HttpError(404, `Project "${name}" not found.`);
  }
}

/** The project's custom environment of that name, else the base environment of that name. */
export function findEnvironment(state: State, project: string, name: string): EnvironmentRecord | undefined {
  const envs = state.environments;
  return (
    envs.find((e) => e.project === project && e.name === name) ??
    envs.find((e) => e.project === null && e.name === name)
  );
}

export function requireEnvironment(state: State, params: Params): EnvironmentRecord {
  requireProject(state, params.project);
  const env = findEnvironment(state, params.project, params.environment);
  if (!env) {
    throw new HttpError(404, `Environment "${params.environment}" not found in project "${params.project}".`);
  }
  return env;
}

/** 403 for a base environment, which cannot be changed. */
export function requireCustom(env: EnvironmentRecord, action: string): void {
  if (env.project === null) {
    throw new HttpError(403, `"${env.name}" is a base environment: base environments cannot be ${action}.`);
  }
}

export function requireRevision(state: State, params: Params): { env: EnvironmentRecord; rev: RevisionRecord } {
  const env = requireEnvironment(state, params);
  const rev = state.revisions.find((r) => r.id === params.revision && r.environmentId === env.id);
  if (!rev) {
    throw new HttpError(404, `Revision "${params.revision}" not found for environment "${env.name}".`);
  }
  return { env, rev };
}

export function requireBuild(
  state: State,
  params: Params,
): { env: EnvironmentRecord; rev: RevisionRecord; build: BuildRecord } {
  const { env, rev } = requireRevision(state, params);
  const build = state.builds.find((b) => b.id === params.build && b.revisionId === rev.id);
  if (!build) {
    throw new HttpError(404, `Build "${params.build}" not found for revision "${rev.id}".`);
  }
  return { env, rev, build };
}
