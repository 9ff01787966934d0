import assert from 'node:assert/strict';
import { Disposable, Emitter } from '../../../src/util/lifecycle';

class Owner extends Disposable {
  add(name: string, log: string[]): void {
    this.register({ dispose: () => log.push(name) });
  }
}

describe('lifecycle', () => {
  it('disposes the children of a Disposable together, newest first, once', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.add('first', log);
    owner.add('second', log);
    owner.dispose();
    owner.dispose();
    assert.deepEqual(log, ['second', 'first']);
  });

  it('disposes a child registered after its owner at once, and a child that throws stops no other', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.add('kept', log);
    (owner as unknown as { register(child: { dispose(): void }): void }).register({
      dispose: () => {
        throw new Error('broken child');
      },
    });
    owner.dispose();
    assert.deepEqual(log, ['kept']);
    owner.add('late', log);
    assert.deepEqual(log, ['kept', 'late']);
  });

  it('fires an Emitter to every listener, past one that throws, until it or the listener is disposed', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    emitter.event(() => {
      throw new Error('a broken listener');
    });
    const a = emitter.event((value) => seen.push(`a${value}`));
    emitter.event((value) => seen.push(`b${value}`));
    emitter.fire(1);
    a.dispose();
    emitter.fire(2);
    emitter.dispose();
    emitter.fire(3);
    emitter.event((value) => seen.push(`c${value}`));
    emitter.fire(4);
    assert.deepEqual(seen, ['a1', 'b1', 'b2']);
  });
});
