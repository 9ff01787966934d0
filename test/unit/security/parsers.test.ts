/**
 * Issue 14, §2: the dependency-file parsers cannot be crashed. Inputs built to overflow the stack or the regex
 * compiler get a problem that says what is wrong, in bounded time, and the emulator survives them in an upload.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { validateRequirements } from '../../../src/archive/requirements';
import { MAX_NESTING, MAX_YAML_CHARS } from '../../../src/archive/ubiopsYaml';
import { validateDependencyFile } from '../../../src/archive/validate';
import { call, createEnvironment, getBuild, upload, useEmulator, zipOf } from '../emulator/helpers';

const HOSTILE_REQUIREMENTS = `numpy; ${'('.repeat(5_000)}`;

describe('security: parsers that cannot be crashed', () => {
  it('reports a marker nested 5,000 parentheses deep instead of overflowing the stack', () => {
    const problems = validateRequirements(HOSTILE_REQUIREMENTS);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'marker-depth');
    assert.equal(problems[0].severity, 'error');
    assert.match(problems[0].message, /more than 500 deep/);
    // A deep but readable marker is still checked as before.
    const deep = `numpy; ${'('.repeat(300)}os_name == "posix"${')'.repeat(300)}`;
    assert.deepEqual(validateRequirements(deep), []);
  });

  it('checks ubiops.yaml of 1,000-2,000 `[` many times in one process without V8 aborting (child process)', () => {
    // Node 20 aborted the whole process on the second check; an abort here fails this test instead of killing mocha.
    const archive = path.resolve(__dirname, '../../../src/archive/validate.ts');
    const script = `
      const { validateDependencyFile } = require(${JSON.stringify(archive)});
      const out = [];
      for (const text of ['['.repeat(1000), '['.repeat(1500), '['.repeat(2000), '{'.repeat(2000), '- '.repeat(2000), '['.repeat(1000)]) {
        out.push(validateDependencyFile('ubiops.yaml', text).map((p) => p.code).join(','));
      }
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `the child was killed by ${child.signal}: ${child.stderr.slice(0, 500)}`);
    assert.equal(child.status, 0, child.stderr.slice(0, 500));
    const codes = JSON.parse(child.stdout.trim().split('\n').pop()!) as string[];
    assert.deepEqual(codes, Array(6).fill('too-deep'));
  });

  it('says where ubiops.yaml is nested too deeply, and that a file too large was not checked', () => {
    const deep = `apt:\n  packages:\n    - ${'['.repeat(MAX_NESTING + 10)}\n`;
    const [problem] = validateDependencyFile('ubiops.yaml', deep);
    assert.equal(problem?.code, 'too-deep');
    assert.equal(problem?.line, 2);
    assert.match(problem.message, /nested more than 64 levels deep/);
    const large = validateDependencyFile('ubiops.yaml', `# ${'x'.repeat(MAX_YAML_CHARS)}\n`);
    assert.deepEqual(
      large.map((p) => [p.code, p.severity]),
      [['not-checked', 'warning']],
    );
    assert.match(large[0].message, /was not checked: it is larger than 256 KiB/);
    const huge = validateDependencyFile('requirements.txt', `numpy\n${'#'.repeat(1024 * 1024)}`);
    assert.deepEqual(
      huge.map((p) => p.code),
      ['not-checked'],
    );
  });

  describe('the emulator', () => {
    const emu = useEmulator();

    it('fails the build of a zip with the hostile requirements.txt with a clear message, and still answers', async () => {
      await createEnvironment(emu, 'hostile-requirements');
      const up = await upload(emu, 'hostile-requirements', await zipOf({ 'requirements.txt': HOSTILE_REQUIREMENTS }));
      assert.equal(up.status, 201, up.text);
      const build = await getBuild(emu, 'hostile-requirements', up.body);
      assert.equal(build.body.status, 'failed');
      assert.match(
        build.body.error_message ?? '',
        /requirements\.txt:1:\d+: This marker nests parentheses more than 500 deep/,
      );
      const status = await call(emu, 'GET', '/status');
      assert.equal(status.status, 200);
    });
  });
});
