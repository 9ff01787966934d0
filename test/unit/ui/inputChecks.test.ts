import assert from 'node:assert/strict';
import { descriptionCheck, displayNameCheck, nameCheck, parseLabelInput } from '../../../src/commands/inputChecks';

describe('create and edit inputs refuse only what UbiOps refuses', () => {
  it('names: the documented rule warns; empty, over 1024 characters or taken blocks', () => {
    assert.equal(nameCheck('my-env'), undefined);
    const long = nameCheck('a'.repeat(65));
    assert.equal(long?.blocking, false, 'a 65-character name is a warning');
    assert.match(long.message, /At most 64 characters.*UbiOps decides/);
    assert.equal(nameCheck('My_Env')?.blocking, false);
    assert.match(nameCheck('My_Env')!.message, /lowercase letters, digits and dashes/);
    assert.equal(nameCheck('')?.blocking, true);
    assert.equal(nameCheck('a'.repeat(1025))?.blocking, true);
    assert.equal(nameCheck('a'.repeat(1024))?.blocking, false);
    assert.equal(nameCheck('taken', new Set(['taken']))?.blocking, true);
  });

  it('display names warn past 64 and block past 1024; descriptions block past 400', () => {
    assert.equal(displayNameCheck('x'.repeat(65))?.blocking, false);
    assert.equal(displayNameCheck('x'.repeat(1025))?.blocking, true);
    assert.equal(displayNameCheck(''), undefined);
    assert.equal(descriptionCheck('x'.repeat(400)), undefined);
    assert.equal(descriptionCheck('x'.repeat(401))?.blocking, true);
  });

  it('labels: only the shape blocks; a value with a space or a long key warns and is kept', () => {
    const spaced = parseLabelInput('team:data science, stage:dev');
    assert.deepEqual(spaced.labels, { team: 'data science', stage: 'dev' });
    assert.equal(spaced.check?.blocking, false);
    assert.match(spaced.check.message, /Label keys and values are 1 to 63/);
    assert.deepEqual(parseLabelInput('team:data'), { labels: { team: 'data' }, check: undefined });
    assert.equal(parseLabelInput('team').check?.blocking, true);
    assert.equal(parseLabelInput('a:1, a:2').check?.blocking, true);
    assert.deepEqual(parseLabelInput('url:https://x.example').labels, { url: 'https://x.example' });
  });
});
