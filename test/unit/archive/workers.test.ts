import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { inOrder } from '../../../src/archive/workers';

describe('inOrder (the packer, the upload and the extractor share it)', () => {
  it('takes the items in order, a few at once, each worker with a buffer of its own', async () => {
    const started: number[] = [];
    const buffers = new Set<Buffer>();
    let running = 0;
    let most = 0;
    await inOrder(
      [...Array(20).keys()],
      3,
      () => undefined,
      async (item, index, turn) => {
        assert.equal(item, index);
        started.push(item);
        buffers.add(turn.buffer(16));
        most = Math.max(most, ++running);
        await sleep(item % 4);
        running--;
      },
    );
    assert.deepEqual(started, [...Array(20).keys()]);
    assert.equal(most, 3);
    assert.equal(buffers.size, 3, 'one buffer a worker, reused from item to item');
  });

  it('throws the first failure once every worker has ended, and no worker takes an item after it', async () => {
    const started: number[] = [];
    let ended = 0;
    const failure = inOrder(
      [...Array(50).keys()],
      4,
      () => undefined,
      async (item) => {
        started.push(item);
        try {
          await sleep(5);
          if (item === 5) throw new Error('five failed');
          if (item === 6) {
            await sleep(5);
            throw new Error('six failed later');
          }
        } finally {
          ended++;
        }
      },
    );
    await assert.rejects(failure, /five failed/);
    assert.equal(ended, started.length, 'every item started had ended');
    assert.ok(Math.max(...started) < 5 + 4, `no item taken after the failure: ${started.join(', ')}`);
  });

  it('stops when beforeEach throws (a cancellation), and runs nothing for no items', async () => {
    let calls = 0;
    await assert.rejects(
      inOrder(
        [1, 2, 3],
        2,
        () => {
          if (++calls === 2) throw new Error('cancelled');
        },
        async () => sleep(1),
      ),
      /cancelled/,
    );
    let worked = false;
    await inOrder(
      [],
      4,
      () => assert.fail('no item, no check'),
      async () => {
        worked = true;
      },
    );
    assert.equal(worked, false);
  });
});
