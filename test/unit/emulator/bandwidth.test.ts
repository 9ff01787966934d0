import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { TokenBucket } from '../../../src/emulator/throttle';
import { call, createEnvironment, PROJECT, TOKEN, upload, useEmulator } from './helpers';

// Lower bounds on the limiter's own behaviour: a transfer of a known size cannot beat the rate it was given.
describe('emulator bandwidth limit', function () {
  this.timeout(20_000);
  const emu = useEmulator({}, 'each');

  const MBPS = 8; // 1 MB a second: a second for the transfer below, far more than it takes unlimited even on a busy machine
  const RATE = (MBPS * 1_000_000) / 8;
  const SIZE = 1_000_000;

  it('holds an upload body to the rate, and a download to the rate', async () => {
    await createEnvironment(emu, 'throttled');
    const data = randomBytes(SIZE);
    const burst = new TokenBucket(RATE).burstBytes;
    const least = ((SIZE - burst) / RATE) * 1000;

    emu.setFaults({ bandwidthMbps: MBPS });
    let started = performance.now();
    const created = await upload(emu, 'throttled', data);
    const uploadMs = performance.now() - started;
    assert.equal(created.status, 201, created.text);
    assert.ok(
      uploadMs >= least,
      `the upload of ${SIZE} bytes took ${uploadMs.toFixed(0)} ms, under the ${least.toFixed(0)} ms the limit implies`,
    );

    started = performance.now();
    const answer = await fetch(
      `${emu.url}/projects/${PROJECT}/environments/throttled/revisions/${created.body.revision}/download`,
      {
        headers: { Authorization: `Token ${TOKEN}` },
      },
    );
    const received = Buffer.from(await answer.arrayBuffer());
    const downloadMs = performance.now() - started;
    assert.ok(received.equals(data), 'the download is the upload, byte for byte');
    assert.ok(
      downloadMs >= least,
      `the download took ${downloadMs.toFixed(0)} ms, under the ${least.toFixed(0)} ms the limit implies`,
    );

    // Lifted, the same transfer goes at the machine's speed: the limit, not the test, made it slow.
    emu.setFaults({});
    started = performance.now();
    assert.equal((await upload(emu, 'throttled', data)).status, 201);
    assert.ok(performance.now() - started < least, 'unlimited, the upload is faster than the limit');
  });

  it('leaves JSON answers unmetered', async () => {
    emu.setFaults({ bandwidthMbps: 0.01 }); // 1,250 bytes a second
    const started = performance.now();
    const answer = await call(emu, 'GET', `/projects/${PROJECT}/environments`);
    assert.equal(answer.status, 200);
    assert.ok(performance.now() - started < 1000);
  });

  it('token bucket: lets a burst through at once, then charges the rate', () => {
    const bucket = new TokenBucket(1000, 100); // 1,000 bytes a second, 100 bytes of burst
    assert.equal(bucket.take(100, 0), 0, 'a full bucket lets its burst go');
    assert.equal(bucket.take(500, 0), 500, '500 bytes more wait half a second');
    assert.equal(
      bucket.take(1000, 500),
      1000,
      'at 0.5 s, 1,000 bytes more wait a whole second: no new burst while in debt',
    );
    assert.equal(bucket.take(10, 10_000), 0, 'after a pause, the bucket is full again');
  });
});
