import { isBuildRunning, type EnvironmentBuild, type EnvironmentList } from '../api';
import { formatBytes, formatDate } from './format';
import { l10n } from '../ui/l10n';

/**
 * What the tree says about environments and builds, as plain text from the server's objects: no `vscode`, so it is
 * tested in plain Node. Every field the official models declare nullable may be null here, and never shows as
 * "null" or "undefined".
 */

export type EnvironmentKind = 'base' | 'implicit' | 'image' | 'custom';

/** A base environment of the platform: `system` says so; a server without it leaves `project` null for them. */
export function isBaseEnvironment(environment: EnvironmentList): boolean {
  return typeof environment.system === 'boolean' ? environment.system : environment.project === null;
}

export function environmentKind(environment: EnvironmentList): EnvironmentKind {
  if (isBaseEnvironment(environment)) {
    return 'base';
  }
  if (environment.implicit) {
    return 'implicit';
  }
  return environment.base_environment ? 'custom' : 'image';
}

/** The row's label: the display name, or the name when there is none. */
export function environmentLabel(environment: EnvironmentList): string {
  return environment.display_name || environment.name;
}

/** The labels as `key:value`; none when null. */
export function labelPairs(labels: Record<string, string> | null | undefined): string[] {
  return Object.entries(labels ?? {}).map(([key, value]) => `${key}:${value}`);
}

/** What the environment is built on: its base environment, a custom Docker image, or nothing (a base itself). */
export function foundation(environment: EnvironmentList): string {
  const kind = environmentKind(environment);
  if (kind === 'base') {
    return l10n.t('base environment');
  }
  if (kind === 'image') {
    return l10n.t('custom Docker image');
  }
  // An implicit environment may lack a base too; it then says nothing about one.
  return environment.base_environment ? `on ${environment.base_environment}` : '';
}

export function environmentDescription(environment: EnvironmentList): string {
  const label = environmentLabel(environment);
  return [
    label !== environment.name ? environment.name : undefined,
    foundation(environment),
    environment.implicit ? 'implicit' : undefined,
    environment.deprecated ? 'deprecated' : undefined,
    ...labelPairs(environment.labels),
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The tooltip's first line, in Markdown-free words (the caller escapes the names it adds). */
export function environmentHeading(environment: EnvironmentList): string {
  switch (environmentKind(environment)) {
    case 'base':
      return l10n.t('Base environment');
    case 'implicit':
      return l10n.t('Implicit environment');
    case 'image':
      return l10n.t('Environment on a custom Docker image');
    default:
      return l10n.t('Environment');
  }
}

/** A sentence on what the environment builds on, with the base environment's display name when there is one. */
export function foundationSentence(environment: EnvironmentList): string | undefined {
  const kind = environmentKind(environment);
  if (kind === 'image') {
    return l10n.t('Built on a custom Docker image: it has no base environment.');
  }
  if (kind === 'base' || !environment.base_environment) {
    return undefined;
  }
  const shown = environment.base_environment_display_name;
  return shown && shown !== environment.base_environment
    ? l10n.t('Built on the base environment {0} ({1}).', shown, environment.base_environment)
    : l10n.t('Built on the base environment {0}.', environment.base_environment);
}

/** Statuses the tree knows by name; any other is shown as it came and counts as running. */
const KNOWN_BUILD_STATUSES = [
  'queued',
  'processing',
  'building',
  'success',
  'failed',
  'cancelled',
  'cancelled_pending',
];

export function buildStatusLabel(status: string): string {
  if (status === 'cancelled_pending') {
    return l10n.t('Cancelling');
  }
  return status ? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, ' ') : l10n.t('Unknown');
}

/** True while a cancel can still stop the build: queued, processing, building, or a status we do not know. */
export function isBuildCancellable(status: string): boolean {
  return isBuildRunning(status) && status !== 'cancelled_pending';
}

/**
 * The build row's context value, so menus follow the state: `ubiops.build.<status>` for a known status; an unknown
 * one is running and cancellable, as `processing` is.
 */
export function buildContextValue(status: string): string {
  return `ubiops.build.${KNOWN_BUILD_STATUSES.includes(status) ? status : 'processing'}`;
}

/** The error of a failed (or cancelled) build on one line; undefined when there is none. */
export function buildErrorLine(build: EnvironmentBuild): string | undefined {
  if ((build.status !== 'failed' && build.status !== 'cancelled') || typeof build.error_message !== 'string') {
    return undefined;
  }
  const line = build.error_message.replace(/\s+/g, ' ').trim();
  return line || undefined;
}

export function buildDescription(build: EnvironmentBuild): string {
  return [
    buildErrorLine(build),
    build.trigger,
    formatDate(build.creation_date),
    typeof build.size === 'number' && build.size > 0 ? formatBytes(build.size) : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}
