/** The JSON answers of the emulator, built from its records field by field in the reference's order. */
import type {
  EnvironmentBuild,
  EnvironmentDetail,
  EnvironmentList,
  EnvironmentRevisionDetail,
  Project,
} from '../api/models';
import type { BuildRecord, EnvironmentRecord, ProjectRecord, RevisionRecord, State } from './store';

/** A `GET /projects` item: the platform notes' fields, in their order. */
export function projectAnswer(p: ProjectRecord): Project & { credits: number | null } {
  return {
    id: p.id,
    name: p.name,
    creation_date: p.creation_date,
    advanced_permissions: p.advanced_permissions,
    credits: p.credits,
    organization_name: p.organization_name,
    labels: { ...p.labels },
  };
}

export function environmentList(e: EnvironmentRecord): EnvironmentList {
  return {
    id: e.id,
    name: e.name,
    display_name: e.display_name,
    base_environment: e.base_environment,
    base_environment_display_name: e.base_environment_display_name,
    project: e.project,
    creation_date: e.creation_date,
    last_updated: e.last_updated,
    description: e.description,
    labels: e.labels === null ? null : { ...e.labels },
    gpu_required: e.gpu_required,
    status: e.status,
    implicit: e.implicit,
    deprecated: e.deprecated,
    hidden: e.hidden,
    supports_request_format: e.supports_request_format,
    system: e.system,
  };
}

export function revisionDetail(r: RevisionRecord, env: EnvironmentRecord): EnvironmentRevisionDetail {
  return {
    id: r.id,
    environment: env.name,
    creation_date: r.creation_date,
    created_by: r.created_by,
    expired: r.expired,
  };
}

export function buildAnswer(b: BuildRecord): EnvironmentBuild {
  return {
    id: b.id,
    revision: b.revisionId,
    creation_date: b.creation_date,
    status: b.status,
    error_message: b.error_message,
    trigger: b.trigger,
    size: b.size,
  };
}

/** An environment with its active and latest revision and build. */
export function environmentDetail(state: State, env: EnvironmentRecord): EnvironmentDetail {
  const revisions = state.revisions.filter((r) => r.environmentId === env.id);
  const builds = state.builds.filter((b) => b.environmentId === env.id);
  const newest = <T extends { seq: number }>(items: T[]): T | undefined =>
    items.reduce<T | undefined>((best, x) => (!best || x.seq > best.seq ? x : best), undefined);
  const active = newest(builds.filter((b) => b.status === 'success'));
  return {
    ...environmentList(env),
    active_revision: active?.revisionId ?? null,
    active_build: active?.id ?? null,
    latest_revision: newest(revisions)?.id ?? null,
    latest_build: newest(builds)?.id ?? null,
  };
}
