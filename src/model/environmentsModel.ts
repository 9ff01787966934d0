import type {
  EnvironmentBuild,
  EnvironmentBuildDependency,
  EnvironmentDetail,
  EnvironmentList,
  EnvironmentRevisionDetail,
  Project,
  UbiOpsClient,
} from '../api';
import { Disposable, Emitter } from '../util/lifecycle';

/** Which environments to list: a kind and `key:value` label pairs (any of them matches, the API's own filter). */
export interface EnvironmentFilter {
  type: 'custom' | 'base' | 'all';
  labels: Record<string, string>;
}

/** Where something lives in UbiOps, as deep as it goes: a project, an environment, a revision or a build. */
export interface ModelRef {
  project?: string;
  environment?: string;
  revision?: string;
  build?: string;
}

export interface EnvironmentRef {
  project: string;
  environment: string;
}

export interface RevisionRef extends EnvironmentRef {
  revision: string;
}

export interface BuildKeyRef extends RevisionRef {
  build: string;
}

/** An environment's revisions, and its detail: the one answer that says which revision is active. */
export interface Revisions {
  revisions: EnvironmentRevisionDetail[];
  environment: EnvironmentDetail;
}

/**
 * The key of a place: `''` for the root, `projects/<p>`, `projects/<p>/environments/<e>`, then `/revisions/<r>`
 * and `/builds/<b>`. The key of a place also names the list of what is under it (a project's key, its
 * environments). The tree's node ids are the host followed by these keys.
 */
export function keyOf(ref: ModelRef): string {
  const parts: string[] = [];
  const levels: [keyof ModelRef, string][] = [
    ['project', 'projects'],
    ['environment', 'environments'],
    ['revision', 'revisions'],
    ['build', 'builds'],
  ];
  for (const [field, segment] of levels) {
    const value = ref[field];
    if (value === undefined) {
      break;
    }
    parts.push(segment, value);
  }
  return parts.join('/');
}

type ModelClient = Pick<
  UbiOpsClient,
  'listProjects' | 'listEnvironments' | 'listRevisions' | 'getEnvironment' | 'listBuilds' | 'listBuildDependencyFiles'
>;

interface Entry {
  promise: Promise<unknown>;
  /** The answer, once it came; a failed load leaves no entry, so the next ask tries again. */
  value?: unknown;
  /** What else the answer depends on (the environment filter): an ask with another tag loads again. */
  tag: string;
}

/**
 * What one connection knows of UbiOps: projects, environments, revisions, builds and their dependency files, by
 * key. Each list loads once, on the first ask (asks that come while it loads share the request), and is kept until
 * invalidated; a failed load is not kept. Loading has no side effects: it announces that builds were read
 * (`onDidLoadBuilds`), and whoever cares (the build tracker's link) decides what to do. Changes are announced by key
 * (`onDidChange`): a list invalidated, or a build that changed.
 */
export class EnvironmentsModel extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly controller = new AbortController();
  private readonly changeEmitter = this.register(new Emitter<string>());
  private readonly buildsEmitter = this.register(new Emitter<{ revision: RevisionRef; builds: EnvironmentBuild[] }>());

  /** The key whose list was invalidated, or of the build that changed. `''` is everything. */
  readonly onDidChange = this.changeEmitter.event;
  /** A revision's builds were read from the server. */
  readonly onDidLoadBuilds = this.buildsEmitter.event;

  constructor(private readonly client: ModelClient) {
    super();
    this.register({ dispose: () => this.controller.abort() });
  }

  projects(): Promise<Project[]> {
    return this.level('', '', (signal) => this.client.listProjects({}, { signal }));
  }

  environments(project: string, filter: EnvironmentFilter): Promise<EnvironmentList[]> {
    const labels = Object.keys(filter.labels).length ? filter.labels : undefined;
    return this.level(keyOf({ project }), JSON.stringify([filter.type, labels]), (signal) =>
      this.client.listEnvironments(project, { environment_type: filter.type, labels }, { signal }),
    );
  }

  /** Revisions and the environment's detail, asked in parallel. */
  revisions(ref: EnvironmentRef): Promise<Revisions> {
    return this.level(keyOf(ref), '', async (signal) => {
      const [revisions, environment] = await Promise.all([
        this.client.listRevisions(ref.project, ref.environment, { signal }),
        this.client.getEnvironment(ref.project, ref.environment, { signal }),
      ]);
      return { revisions, environment };
    });
  }

  builds(ref: RevisionRef): Promise<EnvironmentBuild[]> {
    const revision = { project: ref.project, environment: ref.environment, revision: ref.revision };
    return this.level(
      keyOf(revision),
      '',
      (signal) => this.client.listBuilds(ref.project, ref.environment, ref.revision, { signal }),
      (builds) => this.buildsEmitter.fire({ revision, builds }),
    );
  }

  dependencyFiles(ref: BuildKeyRef): Promise<EnvironmentBuildDependency[]> {
    return this.level(keyOf(ref), '', (signal) =>
      this.client.listBuildDependencyFiles(ref.project, ref.environment, ref.revision, ref.build, { signal }),
    );
  }

  /** A build as last read, when its revision's builds are loaded. */
  build(ref: BuildKeyRef): EnvironmentBuild | undefined {
    return this.loadedBuilds(ref)?.find((build) => build.id === ref.build);
  }

  /**
   * What is now known of a build (from the tracker, or a command's answer) replaces what was read. A build its
   * revision's loaded list lacks makes that list load again; a status change drops its dependency files (they
   * appear when it finishes). Nothing happens for a revision not loaded: it reads the build fresh when asked.
   */
  updateBuild(ref: BuildKeyRef, build: EnvironmentBuild): void {
    const revision = { project: ref.project, environment: ref.environment, revision: ref.revision };
    const builds = this.loadedBuilds(revision);
    if (!builds) {
      return;
    }
    const previous = builds.find((item) => item.id === build.id);
    if (!previous) {
      this.invalidate(revision);
      return;
    }
    const updated = builds.map((item) => (item.id === build.id ? build : item));
    this.entries.set(keyOf(revision), { promise: Promise.resolve(updated), value: updated, tag: '' });
    const key = keyOf({ ...revision, build: build.id });
    if (previous.status !== build.status) {
      this.drop(key);
    }
    this.changeEmitter.fire(key);
  }

  /** Forgets the lists under a place (all of them for `{}`), and announces it: they load again when next asked. */
  invalidate(ref: ModelRef = {}): void {
    const key = keyOf(ref);
    this.drop(key);
    this.changeEmitter.fire(key);
  }

  private drop(key: string): void {
    for (const existing of [...this.entries.keys()]) {
      if (key === '' || existing === key || existing.startsWith(`${key}/`)) {
        this.entries.delete(existing);
      }
    }
  }

  private loadedBuilds(ref: RevisionRef): EnvironmentBuild[] | undefined {
    const key = keyOf({ project: ref.project, environment: ref.environment, revision: ref.revision });
    return this.entries.get(key)?.value as EnvironmentBuild[] | undefined;
  }

  private level<T>(
    key: string,
    tag: string,
    load: (signal: AbortSignal) => Promise<T>,
    loaded?: (value: T) => void,
  ): Promise<T> {
    const existing = this.entries.get(key);
    if (existing && existing.tag === tag) {
      return existing.promise as Promise<T>;
    }
    const entry: Entry = { promise: Promise.resolve(), tag };
    const current = () => this.entries.get(key) === entry;
    const promise = load(this.controller.signal).then(
      (value) => {
        if (current()) {
          entry.value = value;
          loaded?.(value);
        }
        return value;
      },
      (error: unknown) => {
        if (current()) {
          this.entries.delete(key);
        }
        throw error;
      },
    );
    entry.promise = promise;
    this.entries.set(key, entry);
    return promise;
  }
}
