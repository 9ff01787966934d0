import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Emulator } from '../../../src/emulator';
import { buildPath, call, createEnvironment, goodZip, PROJECT, PROJECT_FIELDS, startEmulator, upload } from './helpers';

// The API reference, kept in the repository (docs/ubiops-api/README.md says where it comes from).
const REFERENCE = path.resolve(__dirname, '../../../docs/ubiops-api/Environments.md');

/** The response examples of the reference, by operation name. */
function responseExamples(): Map<string, unknown> {
  const text = readFileSync(REFERENCE, 'utf8');
  const examples = new Map<string, unknown>();
  const sections = text.split(/^# \*\*(\w+)\*\*$/m);
  for (let i = 1; i < sections.length; i += 2) {
    const name = sections[i];
    const m = /## Response Examples\s*```\s*\n([\s\S]*?)\n```/.exec(sections[i + 1]);
    if (m) {
      examples.set(name, parseLenient(m[1]));
    }
  }
  return examples;
}

/** The reference has a missing comma between two members; put commas where a member ends and a key follows. */
function parseLenient(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return JSON.parse(json.replace(/(["\d]|true|false|null|[}\]])(\s*\n\s*")/g, '$1,$2'));
  }
}

/** Environment fields the official models have beyond the reference's examples (platform notes), and their kinds. */
const PLATFORM_ENVIRONMENT_FIELDS: Record<string, string[]> = {
  base_environment_display_name: ['string', 'null'],
  system: ['boolean'],
};

/** Fields the official models declare nullable (platform notes): null is one of their types. */
const NULLABLE = new Set([
  'display_name',
  'description',
  'labels',
  'base_environment',
  'base_environment_display_name',
  'error_message',
  'size',
  'content',
]);

/** The reference's rebuild example lacks `size`; a server generated from the specification sends it, as the other build answers. */
function withSize(example: unknown): unknown {
  return { ...(example as Record<string, unknown>), size: 257862432 };
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Same keys in the same order and the same JSON types, recursively. `labels` is a map: only its being an object of
 * strings is compared. The fields of NULLABLE may be null (the seed has each null somewhere; `size` is null until a
 * build succeeds).
 */
function assertSameShape(actual: unknown, expected: unknown, where: string): void {
  if (kind(expected) === 'object') {
    assert.equal(kind(actual), 'object', `${where}: expected an object`);
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    // Fields the platform notes add to the reference's environment examples: present, of their declared types.
    const extra = 'supports_request_format' in e ? PLATFORM_ENVIRONMENT_FIELDS : {};
    for (const [key, kinds] of Object.entries(extra)) {
      assert.ok(kinds.includes(kind(a[key])), `${where}.${key}: expected ${kinds.join(' or ')}, got ${kind(a[key])}`);
    }
    const keys = Object.keys(a).filter((key) => !(key in extra) || key in e);
    assert.deepEqual(keys, Object.keys(e), `${where}: keys or their order differ`);
    for (const key of Object.keys(e)) {
      if (NULLABLE.has(key) && a[key] === null) continue;
      if (key === 'labels') {
        assert.equal(kind(a[key]), 'object', `${where}.labels`);
        for (const v of Object.values(a[key] as object)) assert.equal(typeof v, 'string', `${where}.labels value`);
        continue;
      }
      assertSameShape(a[key], e[key], `${where}.${key}`);
    }
    return;
  }
  if (kind(expected) === 'array') {
    assert.equal(kind(actual), 'array', `${where}: expected an array`);
    const e = expected as unknown[];
    const a = actual as unknown[];
    assert.ok(a.length > 0, `${where}: the emulator's list is empty, nothing to compare`);
    a.forEach((item, i) => assertSameShape(item, e[Math.min(i, e.length - 1)], `${where}[${i}]`));
    return;
  }
  assert.equal(kind(actual), kind(expected), `${where}: type differs`);
}

describe('emulator fidelity to the reference examples', () => {
  let emu: Emulator;
  const examples = responseExamples();
  const env = 'fidelity-env';
  let revision: string;
  let build: string;

  before(async () => {
    emu = await startEmulator();
    await createEnvironment(emu, env, { display_name: 'Fidelity', labels: { type: 'environment' } });
    const up = await upload(emu, env, await goodZip());
    assert.equal(up.status, 201);
    ({ revision, build } = up.body);
    emu.addDeploymentVersion(PROJECT, env, { deployment: 'deployment-1', version: 'version-1' });
    emu.addDeploymentVersion(PROJECT, env, { deployment: 'deployment-1', version: 'version-2', status: 'unavailable' });
  });
  after(() => emu.close());

  it('finds all twelve response examples in the reference', () => {
    assert.deepEqual(
      [...examples.keys()].sort(),
      [
        'environment_build_dependencies_list',
        'environment_builds_get',
        'environment_builds_list',
        'environment_builds_update',
        'environment_revisions_get',
        'environment_revisions_list',
        'environment_revisions_rebuild',
        'environments_create',
        'environments_get',
        'environments_list',
        'environments_update',
        'environments_usage',
      ].sort(),
    );
  });

  const base = `/projects/${PROJECT}/environments`;
  const cases: [string, string, () => Promise<{ status: number; body: unknown }>, number][] = [
    [
      'environment_build_dependencies_list',
      'GET dependency-files',
      () => call(emu, 'GET', `${buildPath(env, revision, build)}/dependency-files`),
      200,
    ],
    ['environment_builds_get', 'GET build', () => call(emu, 'GET', buildPath(env, revision, build)), 200],
    [
      'environment_builds_list',
      'GET builds',
      () => call(emu, 'GET', `${base}/${env}/revisions/${revision}/builds`),
      200,
    ],
    ['environment_revisions_get', 'GET revision', () => call(emu, 'GET', `${base}/${env}/revisions/${revision}`), 200],
    ['environment_revisions_list', 'GET revisions', () => call(emu, 'GET', `${base}/${env}/revisions`), 200],
    ['environments_get', 'GET environment', () => call(emu, 'GET', `${base}/${env}`), 200],
    ['environments_usage', 'GET usage', () => call(emu, 'GET', `${base}/${env}/usage`), 200],
    [
      'environments_update',
      'PATCH environment',
      () => call(emu, 'PATCH', `${base}/${env}`, { json: { description: 'Updated' } }),
      200,
    ],
    [
      'environments_create',
      'POST environments',
      () => call(emu, 'POST', base, { json: { name: 'fidelity-created', base_environment: 'python3-12' } }),
      201,
    ],
    [
      'environment_revisions_rebuild',
      'POST rebuild',
      () => call(emu, 'POST', `${base}/${env}/revisions/${revision}/rebuild`, { json: {} }),
      201,
    ],
  ];
  for (const [operation, label, request, status] of cases) {
    it(`${operation} (${label}) has the reference's keys, order and types`, async () => {
      const answer = await request();
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      const example = examples.get(operation);
      assertSameShape(
        answer.body,
        operation === 'environment_revisions_rebuild' ? withSize(example) : example,
        operation,
      );
    });
  }

  it('environments_list: base items match the base example, custom items the custom one', async () => {
    const answer = await call<Record<string, unknown>[]>(emu, 'GET', base);
    assert.equal(answer.status, 200);
    const [baseExample, customExample] = examples.get('environments_list') as unknown[];
    const baseItems = answer.body.filter((e) => e.project === null);
    const customItems = answer.body.filter((e) => e.project !== null);
    assert.ok(baseItems.length > 0 && customItems.length > 0);
    baseItems.forEach((e, i) => assertSameShape(e, baseExample, `base[${i}]`));
    customItems.forEach((e, i) => assertSameShape(e, customExample, `custom[${i}]`));
  });

  it('environment_builds_update (cancel of a running build) has the reference shape despite its missing comma', async () => {
    // The seeded image-tools build stays queued for longer than this test runs.
    const revisions = await call<{ id: string }[]>(emu, 'GET', `${base}/image-tools/revisions`);
    const rev = revisions.body[revisions.body.length - 1].id;
    const builds = await call<{ id: string; status: string }[]>(
      emu,
      'GET',
      `${base}/image-tools/revisions/${rev}/builds`,
    );
    const running = builds.body[builds.body.length - 1];
    assert.equal(running.status, 'queued');
    const answer = await call(emu, 'PATCH', buildPath('image-tools', rev, running.id), {
      json: { status: 'cancelled' },
    });
    assert.equal(answer.status, 200);
    assertSameShape(answer.body, examples.get('environment_builds_update'), 'environment_builds_update');
  });

  it('every build answer has size, the rebuild answer included', async () => {
    const rebuilt = await call<Record<string, unknown>>(emu, 'POST', `${base}/${env}/revisions/${revision}/rebuild`);
    assert.equal(rebuilt.status, 201);
    assert.equal(typeof rebuilt.body.size, 'number', 'instant builds have finished: a size');
    const got = await call<Record<string, unknown>>(emu, 'GET', buildPath(env, revision, rebuilt.body.id as string));
    assert.equal(typeof got.body.size, 'number');
  });

  it('upload answers {success, revision, build}', async () => {
    const answer = await upload(emu, env, await goodZip());
    assert.equal(answer.status, 201);
    assert.deepEqual(Object.keys(answer.body), ['success', 'revision', 'build']);
    assert.equal(answer.body.success, true);
  });

  it('timestamps follow the reference formats', async () => {
    const e = await call<Record<string, string>>(emu, 'GET', `${base}/${env}`);
    assert.match(e.body.creation_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(e.body.last_updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const r = await call<Record<string, string>>(emu, 'GET', `${base}/${env}/revisions/${revision}`);
    assert.match(r.body.creation_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    const b = await call<Record<string, string>>(emu, 'GET', buildPath(env, revision, build));
    assert.match(b.body.creation_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
  });

  it('GET /projects gives the documented project fields', async () => {
    const answer = await call<Record<string, unknown>[]>(emu, 'GET', '/projects');
    assert.equal(answer.status, 200);
    for (const p of answer.body) {
      assert.deepEqual(Object.keys(p), PROJECT_FIELDS);
    }
  });
});
