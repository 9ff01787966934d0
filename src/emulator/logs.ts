/**
 * Build logs: what `GET /projects/{project}/logs` serves (platform notes, "Revisions and builds").
 *
 * A build's log is written as the build runs. When a build is scheduled, its lines up to the end of processing are
 * planned from the revision's zip (queued, base image, apt packages from `ubiops.yaml`, pip for each requirement)
 * with timestamps spread over the build's lifetime; a line is served only once the clock has passed its timestamp,
 * so a client polling the log sees it grow. The lines that end it (success, the errors of a failed build, a
 * cancellation) are appended when the build ends, stamped with that moment. No line is ever added before the last
 * one served, so "resume after the last timestamp" never misses a line.
 *
 * Timestamps are integers of nanoseconds since the epoch: past 2^53, so they are kept as decimal text (BigInt for
 * arithmetic) and written into the JSON answer as integer literals, never through a JS number. Lines of one build
 * have distinct, increasing timestamps; two lines one nanosecond apart are common (pip's "Collecting" and
 * "Downloading" of one package), which tests the page boundaries. `timestamp_str` is ISO 8601 with microseconds and
 * `+00:00`, as Python's `isoformat()` writes it: it cannot carry the nanoseconds, the integer does.
 *
 * Builds without a recorded log (seeded ones, or a state file from before logs) get one composed from their record
 * when first asked for, and kept.
 */
import { parse as parseYaml } from 'yaml';
import { MAX_LOG_LIMIT, nanosecondsFromText } from '../api/logs';
import type { EnvironmentBuildDependency } from '../api/models';
import { readDependencyFilesFromZip } from '../archive/zipInspect';
import { validateDependencyFile } from '../archive/validate';
import { isUnfinished } from './builds';
import { nanosecondsOf, wallClockMs, wallClockNs } from './clock';
import type { BuildRecord, EnvironmentRecord, LogLineRecord, Store } from './store';
import * as fs from 'node:fs/promises';

export const DEFAULT_LOG_LIMIT = 1000;
const NS_PER_MS = 1_000_000n;

/** A query the emulator does not understand, or a bad `start`/`end`/`limit`: a 400 with this message. */
export class LogQueryError extends Error {
  override name = 'LogQueryError';
}

type Level = LogLineRecord['level'];
interface Draft {
  /** Epoch milliseconds the line is meant for (fractional allowed). */
  atMs: number;
  log: string;
  level: Level;
  system: boolean;
}
interface Ending {
  status: string;
  error_message: string | null;
  size: number | null;
  files: EnvironmentBuildDependency[];
}

/** `2026-11-30T21:51:07.123456+00:00` for a nanosecond timestamp. */
export function timestampText(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const micros = (ns % NS_PER_MS) / 1000n;
  const iso = new Date(Number(ms)).toISOString(); // …SS.mmmZ
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}+00:00`;
}

/** Reads `start`/`end`: an integer of nanoseconds, or ISO 8601 (no zone = UTC), exact to the nanosecond. */
export function parseLogTime(raw: string, name: string): bigint {
  const text = raw.trim();
  const ns = /^\d+$/.test(text) ? BigInt(text) : nanosecondsFromText(text);
  if (ns === undefined) {
    throw new LogQueryError(
      `${name} must be an ISO 8601 date and time (e.g. 2024-05-01T12:00:00.000000Z) or an integer of nanoseconds since the epoch, not "${raw}".`,
    );
  }
  return ns;
}

export interface LogFilter {
  environment_name?: string;
  environment_build_id?: string;
  environment_revision_id?: string;
  level?: string;
}
const FILTER_KEYS: (keyof LogFilter)[] = [
  'environment_name',
  'environment_build_id',
  'environment_revision_id',
  'level',
];
const QUERY_FORM = '| environment_name=`<environment>` and environment_build_id=`<build id>`';

/**
 * The `query` parameter, in the form UbiOps' client sends: ``| key=`value` and key=`value` ``. Keys:
 * environment_name, environment_build_id, environment_revision_id, level; values in backticks or double quotes.
 * Empty or absent: every log line of the project.
 */
export function parseLogQuery(raw: string | null): LogFilter {
  const text = (raw ?? '').trim();
  if (text === '') {
    return {};
  }
  const body = /^\|\s*(.*)$/s.exec(text)?.[1];
  if (body === undefined) {
    throw new LogQueryError(`The query must start with "|", as in ${QUERY_FORM}; got "${raw}".`);
  }
  const filter: LogFilter = {};
  const condition = /^\s*([a-z_]+)\s*=\s*(?:`([^`]*)`|"([^"]*)")\s*/;
  let rest = body;
  for (;;) {
    const m = condition.exec(rest);
    if (!m) {
      throw new LogQueryError(
        `Cannot read the query "${raw}": write conditions as key=\`value\` joined by "and", as in ${QUERY_FORM}.`,
      );
    }
    const key = m[1] as keyof LogFilter;
    if (!FILTER_KEYS.includes(key)) {
      throw new LogQueryError(
        `The query filters on "${m[1]}", which the emulator does not know; it knows ${FILTER_KEYS.join(', ')}.`,
      );
    }
    filter[key] = m[2] ?? m[3];
    rest = rest.slice(m[0].length);
    if (rest === '') {
      return filter;
    }
    const and = /^and\s+/i.exec(rest);
    if (!and) {
      throw new LogQueryError(
        `Cannot read the query "${raw}" from "${rest}": join conditions with "and", as in ${QUERY_FORM}.`,
      );
    }
    rest = rest.slice(and[0].length);
  }
}

export function parseLogLimit(raw: string | null): number {
  if (raw === null || raw.trim() === '') {
    return DEFAULT_LOG_LIMIT;
  }
  const limit = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(limit >= 1 && limit <= MAX_LOG_LIMIT)) {
    throw new LogQueryError(`limit must be a whole number from 1 to ${MAX_LOG_LIMIT}, not "${raw}".`);
  }
  return limit;
}

/** The logs of the emulator's builds, kept in the store's state by build id. */
export class BuildLogs {
  private readonly planning = new Map<string, Promise<void>>();

  private readonly delayNs: bigint;

  /** `delayMs`: a line is served this long after its timestamp (the emulator's `logDelaySeconds`). */
  constructor(
    private readonly store: Store,
    delayMs = 0,
  ) {
    this.delayNs = BigInt(Math.max(0, Math.round(delayMs * 1000))) * 1000n;
  }

  /** Plans a starting build's lines up to the end of processing (once per build). */
  plan(build: BuildRecord): Promise<void> {
    if (this.store.state.logs[build.id] || this.planning.has(build.id)) {
      return this.planning.get(build.id) ?? Promise.resolve();
    }
    const p = this.readFiles(build)
      .then((files) => {
        if (!this.store.state.logs[build.id] && this.store.state.builds.includes(build)) {
          this.store.state.logs[build.id] = stamp(this.compose(build, files), 0n);
        }
      })
      .finally(() => this.planning.delete(build.id));
    this.planning.set(build.id, p);
    return p;
  }

  /** Resolves once a plan started for the build has been written. */
  planned(buildId: string): Promise<void> {
    return this.planning.get(buildId) ?? Promise.resolve();
  }

  /** Appends the lines that end a build: its image, or the errors that failed it. */
  finish(build: BuildRecord, outcome: Ending): void {
    this.append(build, this.ending(outcome, wallClockMs()), false);
  }

  /** A running build is being cancelled: nothing more of its work is written. */
  cancelling(build: BuildRecord): void {
    this.append(build, [{ atMs: wallClockMs(), log: 'Cancelling the build…', level: 'warning', system: true }], true);
  }

  /** Drops the lines not yet written and ends the log with the cancellation. */
  cancel(build: BuildRecord): void {
    this.append(build, this.ending({ ...build, status: 'cancelled' }, wallClockMs()), true);
  }

  remove(buildIds: Iterable<string>): void {
    for (const id of buildIds) {
      delete this.store.state.logs[id];
    }
  }

  /**
   * The JSON answer of the logs endpoint, written by hand so that timestamps stay exact integers. A line is served
   * once its time has come and the delivery delay has passed; without a delay, all lines of a finished build are.
   */
  answer(project: string, query: URLSearchParams): string {
    const filter = parseLogQuery(query.get('query'));
    const start = query.get('start') ? parseLogTime(query.get('start') as string, 'start') : undefined;
    const end = query.get('end') ? parseLogTime(query.get('end') as string, 'end') : undefined;
    const limit = parseLogLimit(query.get('limit'));
    const state = this.store.state;
    const now = wallClockNs();
    const delivered = now - this.delayNs;
    const envs = new Map(state.environments.filter((e) => e.project === project).map((e) => [e.id, e]));
    const rows: { line: LogLineRecord; build: BuildRecord; env: EnvironmentRecord }[] = [];
    for (const build of state.builds) {
      const env = envs.get(build.environmentId);
      if (
        !env ||
        (filter.environment_name !== undefined && env.name !== filter.environment_name) ||
        (filter.environment_build_id !== undefined && build.id !== filter.environment_build_id) ||
        (filter.environment_revision_id !== undefined && build.revisionId !== filter.environment_revision_id)
      ) {
        continue;
      }
      const whole = !isUnfinished(build) && this.delayNs === 0n;
      for (const line of this.linesOf(build, env)) {
        const ns = BigInt(line.ns);
        if (
          (whole || ns <= delivered) &&
          (start === undefined || ns >= start) &&
          (end === undefined || ns < end) &&
          (filter.level === undefined || line.level === filter.level)
        ) {
          rows.push({ line, build, env });
        }
      }
    }
    // One build's lines are already in order; lines of several builds are merged by time, stable.
    if (filter.environment_build_id === undefined) {
      rows.sort((a, b) => (BigInt(a.line.ns) < BigInt(b.line.ns) ? -1 : BigInt(a.line.ns) > BigInt(b.line.ns) ? 1 : 0));
    }
    const items = rows.slice(0, limit).map(({ line, build, env }) => {
      const metadata = {
        environment_name: env.name,
        environment_id: env.id,
        environment_revision_id: build.revisionId,
        environment_build_id: build.id,
        project_name: project,
        level: line.level,
        system: line.system,
      };
      return (
        `{"timestamp":${line.ns},"timestamp_str":${JSON.stringify(timestampText(BigInt(line.ns)))},` +
        `"log":${JSON.stringify(line.log)},"metadata":${JSON.stringify(metadata)}}`
      );
    });
    return `[${items.join(',')}]`;
  }

  /** A build's log; one composed from its record when none was written (seeded builds, older state files). */
  private linesOf(build: BuildRecord, env: EnvironmentRecord): LogLineRecord[] {
    const logs = this.store.state.logs;
    if (!logs[build.id] && !isUnfinished(build)) {
      const drafts = this.compose(build, build.files, env);
      const cancelledAt = build.cancelAt ?? build.processingAt + (build.finishAt - build.processingAt) / 2;
      const endAt = build.status === 'cancelled' ? cancelledAt : build.finishAt;
      const kept = build.status === 'cancelled' ? drafts.filter((d) => d.atMs < cancelledAt) : drafts;
      logs[build.id] = stamp([...kept, ...this.ending(build, endAt)], 0n);
    }
    return logs[build.id] ?? [];
  }

  private append(build: BuildRecord, drafts: Draft[], dropUnwritten: boolean): void {
    const now = wallClockNs();
    const kept = (this.store.state.logs[build.id] ?? []).filter((l) => !dropUnwritten || BigInt(l.ns) <= now);
    const last = kept.length ? BigInt(kept[kept.length - 1].ns) : 0n;
    const after = last >= now ? last + 1n : now;
    this.store.state.logs[build.id] = [...kept, ...stamp(drafts, after)];
  }

  private async readFiles(build: BuildRecord): Promise<EnvironmentBuildDependency[] | null> {
    try {
      const data = await fs.readFile(this.store.zipPath(build.revisionId));
      return (await readDependencyFilesFromZip(data, { maxFileBytes: 1024 * 1024 })).files.map((f) => ({
        name: f.name,
        content: f.content,
      }));
    } catch {
      return null; // the build's own reading of the zip says what is wrong with it
    }
  }

  /** The lines of a build from queued to the end of processing. */
  private compose(build: BuildRecord, files: EnvironmentBuildDependency[] | null, known?: EnvironmentRecord): Draft[] {
    const env = known ?? this.store.state.environments.find((e) => e.id === build.environmentId);
    const createdMs = Date.parse(build.creation_date) || build.processingAt;
    const early: Draft[] = [
      system(createdMs, `Build ${build.id} queued (${build.trigger}).`),
      system(build.buildingAt, `Build ${build.id} started.`),
      system(
        build.buildingAt,
        `Pulling base image ${env?.base_environment ?? 'unknown'}${env?.gpu_required ? ' (GPU)' : ''}…`,
      ),
    ];
    const steps: Omit<Draft, 'atMs'>[] = [{ log: 'Base image ready.', level: 'info', system: true }];
    const byName = new Map((files ?? []).map((f) => [f.name, f.content ?? '']));
    for (const [name, content] of byName) {
      for (const p of validateDependencyFile(name, content).filter((p) => p.severity === 'warning')) {
        steps.push({ log: `WARNING: ${name}, line ${p.line + 1}: ${p.message}`, level: 'warning', system: true });
      }
    }
    const apt = aptPackages(byName.get('ubiops.yaml'));
    if (apt.length > 0) {
      steps.push(info(`Installing OS packages from ubiops.yaml: ${apt.join(' ')}`), info('Reading package lists...'));
      for (const pkg of apt) {
        steps.push(info(`Setting up ${pkg} ...`));
      }
    }
    const requirements = byName.get('requirements.txt');
    if (requirements !== undefined) {
      steps.push(info('Installing Python packages from requirements.txt'));
      const broken = validateDependencyFile('requirements.txt', requirements).some((p) => p.severity === 'error');
      // pip reads the whole file first: a broken line stops it before anything is collected.
      const wanted = broken ? [] : requirementLines(requirements);
      for (const req of wanted) {
        steps.push(info(`Collecting ${req.spec}`), info(`  Downloading ${req.wheel} (${req.kib} kB)`));
      }
      if (wanted.length > 0) {
        steps.push(info(`Installing collected packages: ${wanted.map((r) => r.name).join(', ')}`));
        steps.push(info(`Successfully installed ${wanted.map((r) => `${r.name}-${r.version}`).join(' ')}`));
      }
    }
    for (const name of byName.keys()) {
      if (name !== 'requirements.txt' && name !== 'ubiops.yaml') {
        steps.push(info(`Installing from ${name}`));
      }
    }
    // Spread over processing, ending a little before its end; "Collecting"/"Downloading" pairs share a moment.
    const span = Math.max(0, build.finishAt - build.processingAt) * 0.95;
    const spread = steps.map((step, i) => ({
      ...step,
      atMs: build.processingAt + (span * (i + 1)) / (steps.length + 1),
    }));
    for (let i = 1; i < spread.length; i++) {
      if (spread[i].log.startsWith('  Downloading ')) {
        spread[i].atMs = spread[i - 1].atMs;
      }
    }
    return [...early, ...spread];
  }

  private ending(outcome: Ending, atMs: number): Draft[] {
    if (outcome.status === 'success') {
      const size = outcome.size === null ? '' : ` (${Math.round(outcome.size / 1e6)} MB)`;
      return [system(atMs, `Image built${size}.`), system(atMs, 'Build succeeded.')];
    }
    if (outcome.status === 'cancelled') {
      return [{ atMs, log: 'Build cancelled.', level: 'warning', system: true }];
    }
    const lines: Draft[] = [];
    for (const file of outcome.files) {
      for (const p of validateDependencyFile(file.name, file.content ?? '').filter((p) => p.severity === 'error')) {
        const text = (file.content ?? '').split(/\r\n|\r|\n/)[p.line] ?? '';
        lines.push(error(atMs, `ERROR: ${file.name}, line ${p.line + 1}: ${p.message}`));
        lines.push(error(atMs, `    ${text.trim()}`));
      }
    }
    lines.push(error(atMs, `Build failed: ${outcome.error_message || 'unknown error'}`));
    return lines;
  }
}

function system(atMs: number, log: string): Draft {
  return { atMs, log, level: 'info', system: true };
}
function info(log: string): Omit<Draft, 'atMs'> {
  return { log, level: 'info', system: false };
}
function error(atMs: number, log: string): Draft {
  return { atMs, log, level: 'error', system: true };
}

/** Nanosecond timestamps, strictly increasing, none before `after`. */
function stamp(drafts: Draft[], after: bigint): LogLineRecord[] {
  let previous = after - 1n;
  return drafts.map((d) => {
    const wanted = nanosecondsOf(d.atMs);
    const ns = wanted > previous ? wanted : previous + 1n;
    previous = ns;
    return { ns: ns.toString(), log: d.log, level: d.level, system: d.system };
  });
}

function aptPackages(yamlText: string | undefined): string[] {
  if (!yamlText) {
    return [];
  }
  try {
    const doc = parseYaml(yamlText) as { apt?: { packages?: unknown } } | null;
    const packages = doc?.apt?.packages;
    return Array.isArray(packages) ? packages.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

function requirementLines(text: string): { spec: string; name: string; version: string; wheel: string; kib: number }[] {
  const result = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const spec = raw.replace(/\s+#.*$/, '').trim();
    if (spec === '' || spec.startsWith('#') || spec.startsWith('-')) {
      continue;
    }
    const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(spec)?.[0] ?? spec;
    const version = /==\s*([^\s;,]+)/.exec(spec)?.[1] ?? '1.0.0';
    const kib = 20 + (hash(spec) % 9000);
    result.push({ spec, name, version, wheel: `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`, kib });
  }
  return result;
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}
