import assert from 'node:assert/strict';
import type { FileProblem } from '../../../src/archive/problems';
import { validateRequirements } from '../../../src/archive/requirements';

const rows = (problems: FileProblem[]) => problems.map((p) => [p.code, p.line, p.column, p.endLine, p.endColumn]);
const SHA256 = 'a'.repeat(64);

/** The single problem on a one-line file, as [code, column, endColumn] plus its message. */
function only(line: string): { code: string; columns: [number, number]; message: string; severity: string } {
  const problems = validateRequirements(line);
  assert.equal(problems.length, 1, `expected one problem for ${JSON.stringify(line)}, got ${JSON.stringify(problems)}`);
  const [p] = problems as [FileProblem];
  assert.equal(p.line, 0);
  assert.equal(p.endLine, 0);
  return { code: p.code, columns: [p.column, p.endColumn], message: p.message, severity: p.severity };
}

describe('validateRequirements', () => {
  describe('accepts', () => {
    const valid: Record<string, string> = {
      'a bare name': 'numpy',
      markers:
        'a; python_version < "3.9"\nb ; sys_platform == \'win32\' and (platform_machine == "x86_64" or os_name not in "nt")\nc; extra == "gpu"',
      'names with dots, dashes and underscores': 'zope.interface\nruamel_yaml-clib\nA1',
      'every version operator': 'a~=1.4.2\nb==1.0\nc!=1.1\nd<=2\ne>=1\nf<3\ng>0.1\nh===1.0-custom',
      'name @ URL':
        'urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip\npip @ file:///tmp/pip ; python_version >= "3"',
      'prefix matches': 'a==1.*\nb!=2.3.*',
      'PEP 440 versions': 'a==1!2.0.post1.dev3\nb>=1.0rc1\nc==1.0+ubuntu.1\nd>=v2.0b2\ne==2024.1',
      'several specifiers and spaces': 'requests >= 2.8.1, == 2.8.* ; python_version < "2.7"',
      'parenthesised specifiers': 'numpy (>=1.0, <2)',
      extras: 'requests[security,socks]\nuvicorn [ standard ] >= 0.20\nx[]',
      'an empty marker, which pip drops': 'numpy ;',
      'URL requirements':
        'https://example.com/pkgs/torch-2.1.0-cp311-cp311-linux_x86_64.whl\nhttp://example.com/x.tar.gz',
      'VCS URLs':
        'git+https://github.com/org/repo.git@v1.2#egg=repo\ngit+ssh://git@github.com/org/repo.git\nhg+https://hg.example.com/repo#egg=repo ; python_version > "3"',
      'local paths': './pkg\n../libs/thing[extra]\n/abs/path/x-1.0-py3-none-any.whl\n.\nlocal/dist/x-1.0.tar.gz',
      'option lines':
        '-r other.txt\n--requirement=other.txt\n-rother.txt\n-c constraints.txt\n--constraint constraints.txt\n-i https://pypi.org/simple\n--index-url=https://pypi.org/simple\n--extra-index-url https://x/simple\n--no-index\n-f ./wheels\n--find-links https://x/links\n--pre\n--trusted-host example.com\n--prefer-binary\n--only-binary :all:\n--no-binary numpy,scipy\n--require-hashes\n--use-feature truststore',
      editables:
        '-e ./pkg\n--editable=git+https://github.com/org/repo#egg=repo\n-e ./pkg --config-settings editable_mode=compat',
      'per-requirement options': `numpy==1.26.4 --hash=sha256:${SHA256} --hash sha512:${'b'.repeat(128)}\nx --config-settings="--build-option=--cpp"\ny --global-option=build_ext`,
      'comments and blank lines': '# top\n\n   \nnumpy  # trailing comment\n\t# indented comment\n',
      'a # inside a URL, which is no comment': 'git+https://github.com/org/repo#egg=repo',
      continuations: `numpy==1.26.4 \\\n    --hash=sha256:${SHA256} \\\n    --hash=sha256:${'c'.repeat(64)}\nscipy==1.\\\n11`,
      'CRLF and a BOM': '\uFEFFnumpy==1.0\r\nscipy\r\n',
      'an empty file': '',
    };
    for (const [title, text] of Object.entries(valid)) {
      it(title, () => assert.deepEqual(validateRequirements(text), []));
    }
  });

  describe('PEP 508 requirements', () => {
    it('reports a missing operator as missing-operator, on the version', () => {
      const problem = only('numpy 1.2');
      assert.deepEqual([problem.code, problem.columns], ['missing-operator', [6, 9]]);
      assert.match(problem.message, /version operator such as `==` before `1\.2`/);
      assert.deepEqual(only('numpy>=1.0, 2.0').columns, [12, 15]);
      assert.equal(only('numpy>=1.0, 2.0').code, 'missing-operator');
    });

    it('reports a missing version after the operator', () => {
      const problem = only('numpy==');
      assert.deepEqual(
        [problem.code, problem.columns, problem.message],
        ['missing-version', [5, 7], 'Expected a version after `==`'],
      );
      assert.deepEqual(only('numpy>= ; python_version > "3"').columns, [5, 7]);
    });

    it('reports unknown operators, suggesting == for =', () => {
      const single = only('numpy=1.2');
      assert.deepEqual([single.code, single.columns], ['invalid-operator', [5, 6]]);
      assert.match(single.message, /use `==`/);
      const reversed = only('numpy=>1.2');
      assert.deepEqual([reversed.code, reversed.columns], ['invalid-operator', [5, 7]]);
      assert.match(reversed.message, /expected one of ~=, ==, !=, <=, >=, <, >, ===/);
    });

    it('reports invalid versions, explaining operator-specific rules', () => {
      const cases: [string, [number, number], RegExp][] = [
        ['numpy==1.2.x', [7, 12], /`1\.2\.x` is not a valid version/],
        ['numpy>=1.*', [7, 10], /wildcards only work with `==` and `!=`/],
        ['numpy<2.0+cpu', [6, 13], /Local versions/],
        ['numpy~=1', [7, 8], /at least two release numbers/],
        ['numpy==1.*.1', [7, 12], /not a valid version/],
      ];
      for (const [line, columns, message] of cases) {
        const problem = only(line);
        assert.deepEqual([problem.code, problem.columns], ['invalid-version', columns], line);
        assert.match(problem.message, message);
      }
    });

    it('reports invalid names', () => {
      assert.deepEqual(only('numpy-==1').columns, [0, 6]);
      assert.equal(only('numpy-==1').code, 'invalid-name');
      assert.deepEqual([only('_private').code, only('_private').columns], ['invalid-name', [0, 8]]);
      assert.deepEqual(only('$(pkg)').columns, [0, 1]);
      assert.deepEqual([only('x[gpu!]').code, only('x[gpu!]').columns], ['syntax', [5, 6]]);
      assert.deepEqual([only('x[-gpu]').code, only('x[-gpu]').columns], ['invalid-name', [2, 6]]);
    });

    it('reports unclosed extras and parentheses on the opening bracket', () => {
      assert.deepEqual([only('x[a,b').code, only('x[a,b').columns], ['syntax', [1, 2]]);
      assert.deepEqual([only('x (>=1.0').code, only('x (>=1.0').columns], ['syntax', [2, 3]]);
    });

    it('reports what follows a complete requirement', () => {
      const problem = only('numpy==1.0 scipy');
      assert.deepEqual([problem.code, problem.columns], ['syntax', [11, 16]]);
      assert.match(problem.message, /not `scipy`/);
      assert.deepEqual(only('numpy>=1,').columns, [8, 9]);
      assert.deepEqual(only('numpy$').columns, [5, 6]);
    });

    it('checks name @ URL', () => {
      assert.deepEqual([only('x @').code, only('x @').columns], ['missing-url', [2, 3]]);
      assert.deepEqual([only('x @ ./local').code, only('x @ ./local').columns], ['invalid-url', [4, 11]]);
      assert.deepEqual(
        [only('x @ https://h/x.whl').code, only('x @ https://h/x.whl').columns],
        ['invalid-wheel-name', [14, 19]],
      );
      assert.deepEqual(only('x @ https://h/x.zip y').columns, [20, 21]);
    });

    it('checks markers', () => {
      const cases: [string, string, [number, number], RegExp][] = [
        ['x; pyhton_version < "3"', 'invalid-marker', [3, 17], /Unknown marker variable `pyhton_version`/],
        ['x; python_version < 3.8', 'invalid-marker', [20, 23], /write "3\.8"/],
        ['x; python_version <> "3"', 'invalid-operator', [18, 20], /Unknown marker operator `<>`/],
        ['x; python_version "3"', 'invalid-marker', [18, 21], /Expected a comparison/],
        ['x; os_name not "nt"', 'invalid-marker', [11, 14], /`in` after `not`/],
        ['x; os_name == "nt', 'invalid-marker', [14, 17], /Unterminated string/],
        ['x; (os_name == "nt"', 'invalid-marker', [3, 4], /close this parenthesis/],
        ['x; os_name == "nt" or', 'invalid-marker', [20, 21], /Expected a marker variable/],
        ['x; os_name == "nt" xor os_name == "a"', 'invalid-marker', [19, 22], /`and`, `or` or the end/],
      ];
      for (const [line, code, columns, message] of cases) {
        const problem = only(line);
        assert.deepEqual([problem.code, problem.columns], [code, columns], line);
        assert.match(problem.message, message, line);
      }
    });
  });

  describe('URL and path requirements', () => {
    it('rejects URL schemes pip does not know', () => {
      const problem = only('s3://bucket/x.whl');
      assert.deepEqual([problem.code, problem.columns], ['url-scheme', [0, 2]]);
    });

    it('checks #egg= names', () => {
      assert.deepEqual([only('git+https://h/r#egg=my pkg').code], ['syntax']);
      assert.deepEqual(
        [only('git+https://h/r#egg=-x').code, only('git+https://h/r#egg=-x').columns],
        ['invalid-name', [20, 22]],
      );
    });

    it('checks wheel file names', () => {
      assert.deepEqual(
        [only('./dist/mypkg.whl').code, only('./dist/mypkg.whl').columns],
        ['invalid-wheel-name', [7, 16]],
      );
      assert.deepEqual(only('https://h/a/b-1.whl?x=1').columns, [12, 19]);
    });

    it("checks a path requirement's extras and marker", () => {
      assert.deepEqual([only('./pkg[a b]').code, only('./pkg[a b]').columns], ['syntax', [8, 9]]);
      assert.deepEqual(
        [only('./pkg; bogus == "1"').code, only('./pkg; bogus == "1"').columns],
        ['invalid-marker', [7, 12]],
      );
      assert.deepEqual(
        [only('git+https://h/r ; bogus == "1"').code, only('git+https://h/r ; bogus == "1"').columns],
        ['invalid-marker', [18, 23]],
      );
    });
  });

  describe('options', () => {
    it('reports unknown options on their name, listing the known ones', () => {
      const problem = only('--foo=bar');
      assert.deepEqual([problem.code, problem.columns], ['unknown-option', [0, 5]]);
      assert.match(problem.message, /Unknown option `--foo`; .*-r, -c, -e, -i, --extra-index-url/);
      assert.deepEqual([only('-x y').code, only('-x y').columns], ['unknown-option', [0, 2]]);
    });

    it('reports a missing value, saying what is needed', () => {
      // What each option needs; the problem spans the option (after the requirement, if any) to the end of the line.
      const needs: Record<string, string[]> = {
        'a file name': ['-r', '--constraint='],
        'a local path or a VCS URL': ['-e'],
        'a URL': ['-i', '--extra-index-url'],
        'a URL or a path': ['-f'],
        'a host name': ['--trusted-host'],
        'package names, `:all:` or `:none:`': ['--only-binary', '--no-binary'],
        'a feature name': ['--use-feature'],
        'a hash such as `sha256:<hex digest>`': ['numpy --hash'],
        '`KEY=VALUE`': ['numpy --config-settings'],
      };
      for (const [need, lines] of Object.entries(needs)) {
        for (const line of lines) {
          const option = line.replace(/^numpy /, '').replace(/=$/, '');
          const problem = only(line);
          assert.deepEqual(
            [problem.code, problem.message, problem.columns],
            ['missing-value', `Option \`${option}\` needs ${need}`, [line.indexOf(option), line.length]],
            line,
          );
        }
      }
    });

    it('reports a value given to a flag', () => {
      assert.deepEqual([only('--pre=yes').code, only('--pre=yes').columns], ['option-value', [0, 9]]);
    });

    it('checks --hash values', () => {
      const cases: [string, [number, number], RegExp][] = [
        [`x==1 --hash=md5:${'a'.repeat(32)}`, [12, 48], /Unsupported hash algorithm `md5`/],
        ['x==1 --hash=sha256:abc', [12, 22], /64 hexadecimal digits/],
        [`x==1 --hash ${SHA256}`, [12, 76], /<algorithm>:<hex digest>/],
      ];
      for (const [line, columns, message] of cases) {
        const problem = only(line);
        assert.deepEqual([problem.code, problem.columns], ['invalid-hash', columns], line);
        assert.match(problem.message, message);
      }
    });

    it('checks --config-settings and -e values', () => {
      assert.deepEqual(
        [only('x --config-settings=foo').code, only('x --config-settings=foo').columns],
        ['option-value', [20, 23]],
      );
      const editable = only('-e https://example.com/pkg.tar.gz');
      assert.deepEqual([editable.code, editable.columns], ['editable-url', [3, 33]]);
      assert.deepEqual(validateRequirements('-e C:\\src\\pkg'), []);
    });

    it('warns about options pip ignores where they stand', () => {
      const global = only('numpy --index-url https://x/simple');
      assert.deepEqual([global.code, global.severity, global.columns], ['option-placement', 'warning', [6, 34]]);
      const hash = only(`--hash=sha256:${SHA256}`);
      assert.deepEqual([hash.code, hash.severity], ['option-placement', 'warning']);
      const stray = only('--pre numpy');
      assert.deepEqual([stray.code, stray.severity, stray.columns], ['unexpected-argument', 'warning', [6, 11]]);
    });

    it('reports an unterminated quote', () => {
      assert.deepEqual(
        [only('x --config-settings="a=b').code, only('x --config-settings="a=b').columns],
        ['syntax', [20, 24]],
      );
    });
  });

  describe('file structure', () => {
    it('maps positions through continuations to the physical line', () => {
      const text = `numpy==1.26.4 \\\n    --hash=sha256:${SHA256} \\\n    --hash=sha256:zz\n`;
      assert.deepEqual(rows(validateRequirements(text)), [['invalid-hash', 2, 11, 2, 20]]);
    });

    it('spans a problem across a continuation', () => {
      assert.deepEqual(rows(validateRequirements('numpy==1.\\\n2.x')), [['invalid-version', 0, 7, 1, 3]]);
    });

    it('ends a continuation at a comment line', () => {
      assert.deepEqual(rows(validateRequirements('numpy \\\n# note\nscipy 1\n')), [['missing-operator', 2, 6, 2, 7]]);
    });

    it('counts lines and columns with CRLF and a BOM', () => {
      assert.deepEqual(rows(validateRequirements('\uFEFFnumpy 1\r\nscipy 2\r\n')), [
        ['missing-operator', 0, 7, 0, 8],
        ['missing-operator', 1, 6, 1, 7],
      ]);
    });

    it('ignores what follows a comment and reports each line on its own', () => {
      const text = 'numpy  # ==bogus\n--foo\nscipy=1\n\nfine\n-r\n';
      assert.deepEqual(rows(validateRequirements(text)), [
        ['unknown-option', 1, 0, 1, 5],
        ['invalid-operator', 2, 5, 2, 6],
        ['missing-value', 5, 0, 5, 2],
      ]);
    });

    it('reports a bad requirement and a bad option on the same line', () => {
      assert.deepEqual(rows(validateRequirements('numpy 1 --hash=x')), [
        ['missing-operator', 0, 6, 0, 7],
        ['invalid-hash', 0, 15, 0, 16],
      ]);
    });

    it('names the file it was given', () => {
      assert.equal(validateRequirements('numpy 1', 'pkg/requirements.txt')[0]?.file, 'pkg/requirements.txt');
    });
  });
});
