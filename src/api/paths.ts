/** Paths of the API's resources, each name one encoded path segment; and the label filter's query form. */

function segment(value: string): string {
  if (value === '') {
    throw new TypeError('A project, environment, revision or build name is empty.');
  }
  return encodeURIComponent(value);
}

export function projectPath(project: string, ...rest: string[]): string {
  return ['', 'projects', segment(project), ...rest].join('/');
}

export function environmentPath(project: string, environment: string, ...rest: string[]): string {
  return projectPath(project, 'environments', segment(environment), ...rest);
}

export function revisionPath(project: string, environment: string, revision: string, ...rest: string[]): string {
  return environmentPath(project, environment, 'revisions', segment(revision), ...rest);
}

export function buildPath(
  project: string,
  environment: string,
  revision: string,
  build: string,
  ...rest: string[]
): string {
  return revisionPath(project, environment, revision, 'builds', segment(build), ...rest);
}

/** `labels` as the API takes it: `k:v,k2:v2`. */
export function labelQuery(labels: Record<string, string> | string | undefined): string | undefined {
  if (labels === undefined) {
    return undefined;
  }
  if (typeof labels === 'string') {
    return labels.trim() || undefined;
  }
  const pairs = Object.entries(labels).map(([key, value]) => `${key}:${value}`);
  return pairs.length ? pairs.join(',') : undefined;
}
