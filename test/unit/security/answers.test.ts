/**
 * Issue 14, §4 (first point): bounded answers. Each kind of answer is capped at what a real one can be, a list at
 * a number of items counted before parsing, and a list whose items lack the fields the explorer builds nodes from
 * is refused whole, with a clear error. Against a tiny hostile server on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type * as net from 'node:net';
import { UbiOpsApiError, UbiOpsClient } from '../../../src/api';
import { countTopLevelItems, SHAPES } from '../../../src/api/shapes';
import { environmentOf } from '../../helpers/models';

describe('security: bounded answers', () => {
  let server: http.Server;
  let body: () => string;
  let client: UbiOpsClient;

  before(async () => {
    server = http.createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(body()),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new UbiOpsClient({
      host: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      token: 't0k3n-value',
      retry: { maxAttempts: 1 },
    });
  });
  after(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function rejection(promise: Promise<unknown>): Promise<UbiOpsApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof UbiOpsApiError, `expected UbiOpsApiError, got ${String(error)}`);
    return error;
  }

  it('refuses a list of a million empty objects before parsing it', async () => {
    const text = `[${'{},'.repeat(1_000_000)}{}]`; // 3 MB: under the byte cap, far over any real list
    body = () => text;
    const started = process.cpuUsage();
    const error = await rejection(client.listEnvironments('p'));
    assert.match(
      error.message,
      /GET \/projects\/p\/environments: the answer from 127\.0\.0\.1:\d+ lists more than 20000 items, more than a real list holds/,
    );
    const cpu = process.cpuUsage(started);
    assert.ok(cpu.user + cpu.system < 5_000_000, 'no million objects were built');
  });

  it('caps each kind of answer at what a real one can be, far below 64 MiB', async () => {
    const big = `[{"id":"p","name":"${'x'.repeat(SHAPES.project.maxBytes)}"}]`;
    body = () => big;
    const error = await rejection(client.listProjects());
    assert.match(error.message, /larger than 8388608 bytes, more than a real answer can be/);
  });

  it('refuses a list whose items are not of the expected shape, naming the item and the field', async () => {
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [
        () => client.listEnvironments('p'),
        '[{"id":"e1","name":"ok"},{"id":5,"name":"x"}]',
        /expected a list of environment objects from 127\.0\.0\.1:\d+, but in item 2, its `id` is a number, not a string/,
      ],
      [() => client.listProjects(), '[{}]', /expected a list of project objects .*, but in item 1, it has no `id`/],
      [() => client.listRevisions('p', 'e'), '[{"id":null}]', /item 1, its `id` is null/],
      [
        () => client.listBuilds('p', 'e', 'r'),
        '[{"id":"b","status":{"nested":true}}]',
        /item 1, its `status` is an object/,
      ],
      [() => client.listEnvironmentUsage('p', 'e'), '[{"deployment":"d"}]', /item 1, it has no `version`/],
      [
        () => client.listBuildDependencyFiles('p', 'e', 'r', 'b'),
        '[{"name":"requirements.txt","content":42}]',
        /item 1, its `content` is a number/,
      ],
      [() => client.getEnvironment('p', 'e'), '{"id":"e"}', /expected an environment from .*, but it has no `name`/],
    ];
    for (const [call, answer, expected] of cases) {
      body = () => answer;
      const error = await rejection(call());
      assert.match(error.message, expected);
      assert.match(error.message, /Is the host a UbiOps API\?/);
    }
  });

  it('still accepts real lists: 5,000 full environments, nulls where UbiOps sends them, unknown fields kept', async () => {
    const environment = (i: number) => ({
      ...environmentOf({
        id: `id-${i}`,
        name: `env-${i}`,
        display_name: null,
        project: 'p',
        creation_date: '2023-03-01T08:32:14.876451Z',
        last_updated: '2023-03-01T08:32:14.876451Z',
        description: `${'d'.repeat(300)}, with "quotes", [brackets] and {braces}`,
        labels: { a: 'b' },
      }),
      future_field: [1, 2],
    });
    const list = Array.from({ length: 5_000 }, (_, i) => environment(i));
    body = () => JSON.stringify(list);
    const environments = await client.listEnvironments('p');
    assert.equal(environments.length, 5_000);
    assert.deepEqual((environments[7] as unknown as { future_field: number[] }).future_field, [1, 2]);
    body = () => JSON.stringify([{ name: 'requirements.txt', content: null }, { name: 'ubiops.yaml' }]);
    assert.equal((await client.listBuildDependencyFiles('p', 'e', 'r', 'b')).length, 2);
  });

  it('counts the items of a list without parsing it, strings and nesting included', () => {
    assert.equal(countTopLevelItems('[]'), 0);
    assert.equal(countTopLevelItems(' [ ] '), 0);
    assert.equal(countTopLevelItems('{"a":[1,2]}'), 0);
    assert.equal(countTopLevelItems('[{}]'), 1);
    assert.equal(countTopLevelItems('[{"a":"x,y]\\",z","b":[1,2,{"c":3}]},{}]'), 2);
    assert.equal(countTopLevelItems(`[${'{},'.repeat(99)}{}]`), 100);
    assert.equal(countTopLevelItems(`[${'{},'.repeat(999)}{}]`, 10), 11);
  });
});
