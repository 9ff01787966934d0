/**
 * Models of the UbiOps API v2.1 environment endpoints, typed from `shared/ubiops-api/Environments.md` and the
 * platform notes. Both the client and the emulator use them.
 *
 * Every response model carries an index signature: fields the server adds that we do not know about are kept and
 * passed on, never a reason to fail. Field order in the interfaces follows the reference's examples, which is the
 * order the emulator writes them in.
 */

/** A JSON value a server may send in a field we do not model. */
export type UnknownField = unknown;

/** Build statuses named by the reference and the platform notes. Any other string means "still running". */
export type KnownBuildStatus =
  | 'queued'
  | 'processing'
  | 'building'
  | 'success'
  | 'failed'
  | 'cancelled'
  | 'cancelled_pending';

/** A build status as received: one of the known ones, or a string we treat as still running. */
export type BuildStatus = KnownBuildStatus | (string & {});

/** `GET /projects` item (platform notes). */
export interface Project {
  id: string;
  name: string;
  creation_date: string;
  advanced_permissions: boolean;
  organization_name: string;
  labels: Record<string, string>;
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
  display_name: string;
  base_environment: string | null;
  /** Null for base environments. */
  project: string | null;
  creation_date: string;
  last_updated: string;
  description: string;
  labels: Record<string, string>;
  gpu_required: boolean;
  /** Shown as a label, not switched on: the docs say `active`, other tools see `available` or `failed`. */
  status: string;
  implicit: boolean;
  deprecated: boolean;
  hidden: boolean;
  supports_request_format: boolean;
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
  base_environment: string;
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
  /** Empty unless the build failed; at most 1024 characters. */
  error_message: string;
  trigger: string;
  /**
   * Image size in bytes. The reference's rebuild example omits it, so it may be absent; null before a build has
   * produced an image.
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
  content: string;
  [field: string]: UnknownField;
}

/** Build statuses after which a build will not change any more. */
export const FINISHED_BUILD_STATUSES: ReadonlySet<string> = new Set(['success', 'failed', 'cancelled']);

/** True while a build may still change; unknown statuses count as running, as the platform notes advise. */
export function isBuildRunning(status: BuildStatus): boolean {
  return !FINISHED_BUILD_STATUSES.has(status);
}
