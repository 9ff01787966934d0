import { strict as assert } from 'node:assert';
import { call, PROJECT, sleep, useEmulator } from './helpers';

describe('emulator faults', () => {
  const emu = useEmulator({}, 'each');

  it('rate-limits with headers, then lets requests through after the window', async () => {
    emu.setFaults({ rateLimitPerMinute: 2, rateLimitWindowSeconds: 1 });
    const first = await call(emu, 'GET', '/projects');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '1');
    assert.equal(first.headers.get('x-ratelimit-reset'), '1');
    const second = await call(emu, 'GET', '/nothing-here');
    assert.equal(second.status, 404);
    assert.equal(second.headers.get('x-ratelimit-remaining'), '0');
    const limited = await call(emu, 'GET', '/projects');
    assert.equal(limited.status, 429);
    assert.equal(typeof limited.body.error, 'string');
    assert.equal(limited.headers.get('x-ratelimit-limit'), '2');
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    assert.ok(reset >= 1);
    const status = await call(emu, 'GET', '/status', { token: null });
    assert.equal(status.status, 200, '/status is exempt');
    assert.equal(status.headers.get('x-ratelimit-limit'), null);
    await sleep(reset * 1000 + 50);
    const after = await call(emu, 'GET', '/projects');
    assert.equal(after.status, 200);
    assert.equal(after.headers.get('x-ratelimit-remaining'), '1');
  });

  it('uses a 60-second window by default, and no headers when disabled', async () => {
    const plain = await call(emu, 'GET', '/projects');
    assert.equal(plain.headers.get('x-ratelimit-limit'), null);
    emu.setFaults({ rateLimitPerMinute: 1 });
    await call(emu, 'GET', '/projects');
    const limited = await call(emu, 'GET', '/projects');
    assert.equal(limited.status, 429);
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    assert.ok(reset > 55 && reset <= 60, `reset ${reset}`);
  });

  it('adds latency, to /status too', async () => {
    emu.setFaults({ latencyMs: 150 });
    for (const path of ['/status', '/projects']) {
      const started = performance.now();
      const answer = await call(emu, 'GET', path);
      assert.equal(answer.status, 200);
      assert.ok(performance.now() - started >= 140, `${path} answered in ${performance.now() - started} ms`);
    }
  });

  it('answers 500 or 503 JSON without side effects', async () => {
    emu.setFaults({ errorRate: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const answer = await call(emu, 'POST', `/projects/${PROJECT}/environments`, {
        json: { name: 'never-created', base_environment: 'python3-12' },
      });
      assert.ok(answer.status === 500 || answer.status === 503, String(answer.status));
      assert.equal(typeof answer.body.error, 'string');
      seen.add(answer.status);
    }
    assert.equal(seen.size, 2, 'both 500 and 503 show up');
    assert.equal((await call(emu, 'GET', '/status')).status, 200, '/status is exempt');
    emu.setFaults({});
    const got = await call(emu, 'GET', `/projects/${PROJECT}/environments/never-created`);
    assert.equal(got.status, 404);
  });

  it('drops connections without an answer', async () => {
    emu.setFaults({ dropRate: 1 });
    await assert.rejects(fetch(`${emu.url}/projects`, { headers: { Authorization: 'Token test-token' } }));
    assert.equal((await call(emu, 'GET', '/status')).status, 200, '/status is exempt');
    emu.setFaults({});
    assert.equal((await call(emu, 'GET', '/projects')).status, 200);
  });
});
