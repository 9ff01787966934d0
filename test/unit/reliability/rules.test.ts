import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UbiOpsClient } from '../../../src/api';
import {
  descriptionProblem,
  displayNameProblem,
  environmentNameProblem,
  labelsProblem,
  parseLabels,
  proposeEnvironmentName,
} from '../../../src/api/rules';
import { ExtractError, extractZip } from '../../../src/archive/extract';
import { start, type Emulator } from '../../../src/emulator';
import { withTempDir } from '../../helpers/tempDir';
import { rawZip } from '../archive/rawZip';

describe('input rules: names, labels and descriptions, as typed and as the emulator judges them', () => {
  it('names: 1–64 lowercase letters, digits and dashes, starting with a letter, not taken', () => {
    assert.equal(environmentNameProblem('my-env-2'), undefined);
    assert.equal(environmentNameProblem(''), 'Enter a name.');
    assert.match(environmentNameProblem('My-Env')!, /lowercase letters, digits and dashes/);
    assert.match(environmentNameProblem('2env')!, /start with a lowercase letter/);
    assert.match(environmentNameProblem('a'.repeat(65))!, /At most 64 characters \(this is 65\)/);
    assert.equal(environmentNameProblem('a'.repeat(64)), undefined);
    assert.match(environmentNameProblem('taken', new Set(['taken']))!, /already exists/);
  });

  it('descriptions and display names: the length rule, stated', () => {
    assert.equal(descriptionProblem('x'.repeat(400)), undefined);
    assert.match(descriptionProblem('x'.repeat(401))!, /at most 400 characters \(this is 401\)/);
    assert.equal(displayNameProblem(''), undefined);
    assert.match(displayNameProblem('  ', true)!, /cannot be empty/);
    assert.match(displayNameProblem('x'.repeat(65))!, /At most 64/);
  });

  it('labels as typed: key:value pairs, each key and value stating the rule when refused', () => {
    assert.deepEqual(parseLabels(''), { labels: {} });
    assert.deepEqual(parseLabels(' team:data , stage:dev.1 '), { labels: { team: 'data', stage: 'dev.1' } });
    assert.match(parseLabels('team').error!, /not a key:value pair/);
    assert.match(parseLabels('team:').error!, /not a key:value pair/);
    assert.match(
      parseLabels('my team:data').error!,
      /label key "my team" is not allowed\. Label keys and values are 1 to 63 letters/,
    );
    assert.match(parseLabels('team:a:b').error!, /value "a:b" of label "team" is not allowed/);
    assert.match(parseLabels('team:<img src=x>').error!, /not allowed/);
    assert.match(parseLabels(`k:${'v'.repeat(64)}`).error!, /not allowed/);
    assert.match(parseLabels('a:1,a:2').error!, /given twice/);
    assert.match(parseLabels('_x:1').error!, /starting with a letter or digit/);
    assert.equal(labelsProblem({ team: 'data' }), undefined);
    assert.match(labelsProblem({ team: 1 })!, /string keys to string values/);
    assert.match(labelsProblem(['a'])!, /object/);
  });

  describe('the emulator is the judge, and refuses none of what the local rule only warns about', () => {
    const TOKEN = 'rules-token';
    let emulator: Emulator;
    let client: UbiOpsClient;
    before(async () => {
      emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 0 });
      client = new UbiOpsClient({ host: emulator.url, token: TOKEN, retry: { maxAttempts: 1 } });
    });
    after(async () => {
      await client.close();
      await emulator.close();
    });

    for (const [text, localRuleAccepts] of [
      ['team:data, stage:dev.1', true],
      ['my team:data', false],
      ['team:a:b', false],
      ['_x:1', false],
      ['team:a value with spaces', false],
      [`k:${'v'.repeat(63)}`, true],
      [`k:${'v'.repeat(64)}`, false],
    ] as const) {
      it(`accepts labels "${text.slice(0, 30)}" (the local rule ${localRuleAccepts ? 'agrees' : 'warns'})`, async () => {
        const parsed = parseLabels(text);
        assert.equal(
          parsed.error === undefined,
          localRuleAccepts,
          `the local rule ${localRuleAccepts ? 'accepts' : 'warns about'} it`,
        );
        // Send what the user typed as the map the server would get, whatever the local rule thinks of it.
        const labels = Object.fromEntries(
          text
            .split(',')
            .map((pair) => [pair.slice(0, pair.indexOf(':')).trim(), pair.slice(pair.indexOf(':') + 1).trim()]),
        );
        const name = `labels-${Math.random().toString(36).slice(2, 8)}`;
        const created = await client.createEnvironment('demo-project', {
          name,
          base_environment: 'python3-12',
          labels,
        });
        assert.deepEqual(created.labels, labels);
      });
    }

    it("accepts names and display names the local rule warns about, up to the official client's 1024", async () => {
      for (const name of ['My-Env', '2env', 'a'.repeat(65), 'x'.repeat(1024)]) {
        assert.ok(environmentNameProblem(name), `the local rule warns about ${name.slice(0, 20)}`);
        const created = await client.createEnvironment('demo-project', {
          name,
          base_environment: 'python3-12',
          display_name: 'D'.repeat(65),
        });
        assert.equal(created.name, name);
        assert.ok(
          displayNameProblem(created.display_name ?? ''),
          'the local rule warns about a 65-character display name',
        );
      }
    });
  });
});

describe('regressions found by the fuzz suite', () => {
  it('extracting a zip whose deflate data is damaged fails at once instead of hanging', async function () {
    this.timeout(5_000);
    await withTempDir('ubiops-damaged-', async (dir) => {
      const zip = rawZip([
        { name: 'requirements.txt', data: Buffer.from('numpy==1.26.4\nrequests>=2\n'), deflate: true },
      ]);
      // The first byte of the deflate block: "invalid code lengths set" inside zlib's write().
      zip[30 + 'requirements.txt'.length] ^= 0xff;
      const zipPath = path.join(dir, 'damaged.zip');
      await fs.writeFile(zipPath, zip);
      await assert.rejects(
        extractZip(zipPath, path.join(dir, 'out')),
        (error: unknown) => error instanceof ExtractError && error.code === 'corrupt',
      );
    });
  });
});

describe('proposeEnvironmentName', () => {
  it("makes a valid, free name from a folder's name", () => {
    const proposals: Record<string, string> = {
      'My Model_v2': 'my-model-v2',
      'Élan vital': 'elan-vital',
      '2024 forecasts': 'env-2024-forecasts',
      '---': 'environment',
      ['a'.repeat(80)]: 'a'.repeat(64),
    };
    for (const [folder, expected] of Object.entries(proposals)) {
      const name = proposeEnvironmentName(folder);
      assert.equal(name, expected, folder);
      assert.equal(environmentNameProblem(name), undefined, name);
    }
    assert.equal(proposeEnvironmentName('data', new Set(['data', 'data-2'])), 'data-3');
    const long = proposeEnvironmentName('b'.repeat(70), new Set(['b'.repeat(64)]));
    assert.equal(long, `${'b'.repeat(62)}-2`);
  });
});
