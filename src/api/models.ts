/**
 * Models of the UbiOps API v2.1 environment endpoints, typed from `docs/ubiops-api/Environments.md` and the
 * platform notes (`docs/ubiops-api/platform-notes.md`). Both the client and the emulator use them.
 *
 * Every response model carries an index signature: fields the server adds that we do not know about are kept and
 * passed on, never a reason to fail. Field order in the interfaces follows the reference's examples, which is the
 * order the emulator writes them in.
 */

/** A JSON value a server may send in a field we do not model. */
export type UnknownField = unknown;

/** Build statuses named by the reference and the platform notes. Any other string means "still running". */
export type KnownBuildStatus =
  'queued' | 'processing' | 'building' | 'success' | 'failed' | 'cancelled' | 'cancelled_pending';

/** A build status as received: one of the known ones, or a string we treat as still running. */
export type BuildStatus = KnownBuildStatus | (string & {});

/** The documented fields of a `GET /projects` item (platform notes). */
export interface ProjectFields {
  id: string;
  name: string;
  creation_date: string;
  advanced_permissions: boolean;
  organization_name: string;
  labels: Record<string, string>;
}

/** `GET /projects` item (platform notes). */
export interface Project extends ProjectFields {
  [field: string]: UnknownField;
}

/** The documented fields of `GET /projects/{project_name}` (the emulator's project records have exactly these). */
export interface ProjectDetailFields extends ProjectFields {
  credits: number | null;
  suspended: boolean;
  suspended_reason: string | null;
  cors_origins: string[];
}

/** `GET /projects/{project_name}` (platform notes): a project with its suspension and CORS settings. */
export interface ProjectDetail extends Project, ProjectDetailFields {}

/** `GET /user` (platform notes): the user behind the token. */
export interface User {
  email: string;
  name: string;
  surname: string;
  [field: string]: UnknownField;
}

/** `GET /status`. */
export interface ServiceStatus {
  status: string;
  [field: string]: UnknownField;
}

/** The documented fields of `EnvironmentList`, in the reference's order (the emulator's records have exactly these). */
export interface EnvironmentListFields {
  id: string;
  name: string;
  /** Nullable in the official models. */
  display_name: string | null;
  /** Null for base environments and for environments built on a custom Docker image. */
  base_environment: string | null;
  /** The base environment's display name; null when there is no base environment. */
  base_environment_display_name: string | null;
  /** Null for base environments. */
  project: string | null;
  creation_date: string;
  last_updated: string;
  /** Nullable in the official models. */
  description: string | null;
  /** Nullable in the official models. */
  labels: Record<string, string> | null;
  gpu_required: boolean;
  /** Shown as a label, not switched on: the docs say `active`, other tools see `available` or `failed`. */
  status: string;
  implicit: boolean;
  deprecated: boolean;
  hidden: boolean;
  supports_request_format: boolean;
  /** True for the base environments UbiOps provides, false for a project's own. */
  system: boolean;
}

/** `EnvironmentList`: an item of `environments_list`, and the answer of `environments_create`. */
export interface EnvironmentList extends EnvironmentListFields {
  [field: string]: UnknownField;
}

/** `EnvironmentDetail`: the answer of `environments_get` and `environments_update`. */
export interface EnvironmentDetail extends EnvironmentList {
  active_revision: string | null;
  active_build: string | null;
  latest_revision: string | null;
  latest_build: string | null;
}

/** `EnvironmentCreate`: the body of `environments_create`. */
export interface EnvironmentCreate {
  name: string;
  /** Optional: an environment on a custom Docker image has none. */
  base_environment?: string | null;
  /** When not set, the server uses `name`. */
  display_name?: string;
  description?: string;
  labels?: Record<string, string>;
  supports_request_format?: boolean;
}

/** `EnvironmentUpdate`: the body of `environments_update`. `labels` replaces the existing labels whole. */
export interface EnvironmentUpdate {
  name?: string;
  display_name?: string;
  description?: string;
  labels?: Record<string, string>;
}

/** The query of `environments_list`. */
export interface EnvironmentListFilter {
  /** Label pairs; an environment matching any pair is returned. Sent as `k:v,k2:v2`. */
  labels?: Record<string, string> | string;
  /** `all` by default on the server. */
  environment_type?: 'base' | 'custom' | 'all';
  supports_request_format?: boolean;
}

/** The query of `environments_usage`. */
export interface EnvironmentUsageFilter {
  /** Keeps the versions whose own environment is a base (`base`) or a custom (`custom`) one; `all` by default. */
  environment_type?: 'base' | 'custom' | 'all';
}

/** `EnvironmentUsage`: an item of `environments_usage`. */
export interface EnvironmentUsage {
  id: string;
  deployment: string;
  version: string;
  environment: string;
  environment_display_name: string;
  status: string;
  [field: string]: UnknownField;
}

/** `EnvironmentRevisionDetail`: the answer of `environment_revisions_get` and items of its list. */
export interface EnvironmentRevisionDetail {
  id: string;
  environment: string;
  creation_date: string;
  /** The uploader's email, or "UbiOps" when a service created the revision. */
  created_by: string;
  /** True when the revision's file has been deleted: it can no longer be downloaded. */
  expired: boolean;
  [field: string]: UnknownField;
}

/** `EnvironmentRevisionCreate`: the answer of `environment_revisions_file_upload`. */
export interface EnvironmentRevisionCreate {
  success: boolean;
  revision: string;
  build: string;
  [field: string]: UnknownField;
}

/** `EnvironmentBuildList`: a build, as returned by the get, list, update and rebuild endpoints. */
export interface EnvironmentBuild {
  id: string;
  revision: string;
  creation_date: string;
  status: BuildStatus;
  /** Empty or null unless the build failed; at most 1024 characters. Nullable in the official models. */
  error_message: string | null;
  trigger: string;
  /**
   * Image size in bytes; null before a build has produced an image. A server generated from the specification sends
   * it in every answer; an older server may leave it out of the rebuild's answer, so it may still be absent.
   */
  size?: number | null;
  [field: string]: UnknownField;
}

/** `EnvironmentBuildUpdate`: the body of `environment_builds_update`. Only cancelling is allowed. */
export interface EnvironmentBuildUpdate {
  status: 'cancelled';
}

/** `EnvironmentBuildDependency`: an item of `environment_build_dependencies_list`. */
export interface EnvironmentBuildDependency {
  name: string;
  /** Nullable in the official models. */
  content: string | null;
  [field: string]: UnknownField;
}

/** Build statuses after which a build will not change any more. `cancelled_pending` is still on its way there. */
export const FINISHED_BUILD_STATUSES: ReadonlySet<string> = new Set(['success', 'failed', 'cancelled']);

/** Statuses that end a build without an image: UbiOps' tools treat `cancelled` as failed. */
export function isBuildUnsuccessful(status: BuildStatus): boolean {
  return status === 'failed' || status === 'cancelled';
}

/** True while a build may still change; unknown statuses count as running, as the platform notes advise. */
export function isBuildRunning(status: BuildStatus): boolean {
  return !FINISHED_BUILD_STATUSES.has(status);
}
