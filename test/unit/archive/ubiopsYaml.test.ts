import assert from 'node:assert/strict';
import type { FileProblem } from '../../../src/archive/problems';
import { validateUbiopsYaml } from '../../../src/archive/ubiopsYaml';

/** code, line, column, endLine, endColumn: what a diagnostic needs, in one comparable row. */
const rows = (problems: FileProblem[]) => problems.map((p) => [p.code, p.line, p.column, p.endLine, p.endColumn]);
const check = (text: string) => rows(validateUbiopsYaml(text));

// The sample in the platform notes (docs/ubiops-api/platform-notes.md), verbatim.
const SAMPLE = `environment_variables:        # optional; each item must match ^[A-Z_][A-Z0-9_]*=.*$
  - PIP_EXTRA_INDEX_URL=https://example.com/simple
apt:                          # optional; when present, packages is required
  keys:                       # optional
    urls: ["https://..."]     # each must start with http:// or https://
    items: ["..."]            # non-empty strings
  sources:                    # optional, same shape as keys
    urls: ["https://..."]
    items: ["deb https://... stable main"]
  packages:                   # required inside apt; non-empty strings
    - libgomp1
`;

describe('validateUbiopsYaml', () => {
  describe('valid files', () => {
    const valid: [string, string][] = [
      ['the platform notes sample', SAMPLE],
      ['an empty file', ''],
      ['a comment-only file', '# nothing yet\n\n# really\n'],
      ['only environment variables', 'environment_variables:\n  - A=1\n  - _B2=\n  - C=x=y\n'],
      ['only apt packages, flow style', 'apt: {packages: [libgomp1, "curl"]}\n'],
      ['an empty package list', 'apt:\n  packages: []\n'],
      ['CRLF line ends', 'apt:\r\n  packages:\r\n    - git\r\n'],
    ];
    for (const [title, text] of valid) {
      it(`accepts ${title}`, () => assert.deepEqual(validateUbiopsYaml(text), []));
    }
  });

  it('names the file it was given and marks schema breaches as errors', () => {
    const [problem] = validateUbiopsYaml('foo: 1\n', 'environment_package/ubiops.yaml');
    assert.equal(problem?.file, 'environment_package/ubiops.yaml');
    assert.equal(problem?.severity, 'error');
  });

  describe('YAML itself', () => {
    it('reports a second document', () => {
      const [problem] = validateUbiopsYaml('apt:\n  packages: [git]\n---\napt: {}\n');
      assert.equal(problem?.code, 'yaml-syntax');
      assert.equal(problem?.line, 2);
      assert.match(problem?.message ?? '', /single YAML document/);
    });

    it('reports a syntax error where the parser stopped, and no schema noise after it', () => {
      assert.deepEqual(check('apt:\n  packages: [git\n'), [['yaml-syntax', 2, 0, 2, 0]]);
      // An unclosed quote: `foo` is not reported as an unknown key.
      assert.deepEqual(check('environment_variables:\n  - "A=1\nfoo: 1\n'), [['yaml-syntax', 3, 0, 3, 0]]);
    });

    it('reports a duplicate key on the whole second key and still checks the schema', () => {
      const problems = validateUbiopsYaml('apt:\n  packages: [git]\napt:\n  packages: [git]\nbar: 1\n');
      assert.deepEqual(rows(problems), [
        ['duplicate-key', 2, 0, 2, 3],
        ['unknown-key', 4, 0, 4, 3],
      ]);
    });
  });

  describe('the top level', () => {
    it('must be a mapping', () => {
      assert.deepEqual(check('- apt\n- git\n'), [['type', 0, 0, 1, 5]]);
      assert.deepEqual(check('just text\n'), [['type', 0, 0, 0, 9]]);
    });

    it('allows only environment_variables and apt, and says so', () => {
      const problems = validateUbiopsYaml('apt:\n  packages: [git]\npackages:\n  - git\n');
      assert.match(problems[0].message, /`packages`.*`environment_variables`, `apt`/);
      assert.deepEqual(rows(problems), [['unknown-key', 2, 0, 2, 8]]);
    });
  });

  describe('environment_variables', () => {
    it('rejects an invalid name with env-var-name and says what names may hold', () => {
      const problems = validateUbiopsYaml(
        'environment_variables:\n  - pip_index=https://x\n  - 9LIVES=1\n  - =empty\n',
      );
      assert.deepEqual(rows(problems), [
        ['env-var-name', 1, 4, 1, 23],
        ['env-var-name', 2, 4, 2, 12],
        ['env-var-name', 3, 4, 3, 10],
      ]);
      assert.match(
        problems[0].message,
        /`pip_index`.*upper-case letters, digits and underscores, not starting with a digit/,
      );
    });

    it('rejects with env-var-format an item without =, and a value spanning lines', () => {
      assert.deepEqual(check('environment_variables:\n  - DEBUG\n'), [['env-var-format', 1, 4, 1, 9]]);
      assert.deepEqual(check('environment_variables:\n  - |\n    A=1\n    2\n'), [['env-var-format', 1, 4, 3, 5]]);
    });

    it('rejects non-strings with type, hinting at NAME=value for a mapping', () => {
      const problems = validateUbiopsYaml('environment_variables:\n  - 42\n  - DEBUG: 1\n');
      assert.match(problems[1].message, /`NAME=value`, not `NAME: value`/);
      assert.deepEqual(rows(problems), [
        ['type', 1, 4, 1, 6],
        ['type', 2, 4, 2, 12],
      ]);
    });

    it('must be a list: points at a scalar value, or at the key when the value is empty', () => {
      assert.deepEqual(check('environment_variables: A=1\n'), [['type', 0, 23, 0, 26]]);
      assert.deepEqual(check('environment_variables:\n'), [['type', 0, 0, 0, 21]]);
    });

    it('counts columns in UTF-16 units, as the editor does', () => {
      assert.deepEqual(check('environment_variables: ["É=1", "😀=1"]\n'), [
        ['env-var-name', 0, 24, 0, 29],
        ['env-var-name', 0, 31, 0, 37],
      ]);
    });
  });

  describe('apt', () => {
    it('must be a mapping', () => {
      assert.deepEqual(check('apt: [git]\n'), [['type', 0, 5, 0, 10]]);
    });

    it('requires packages, reported on the apt key', () => {
      const problems = validateUbiopsYaml('apt:\n  keys:\n    urls: ["https://k"]\n');
      assert.deepEqual(rows(problems), [['missing-key', 0, 0, 0, 3]]);
      assert.match(problems[0].message, /`packages`/);
    });

    it('requires packages to be a list of non-empty strings', () => {
      const problems = validateUbiopsYaml('apt:\n  packages: git curl\n');
      assert.deepEqual(rows(problems), [['type', 1, 12, 1, 20]]);
      assert.equal(problems[0].message, '`apt.packages` must be a list of package names');
      assert.deepEqual(check('apt:\n  packages:\n    - ""\n    - 7\n    - [a]\n'), [
        ['empty-string', 2, 6, 2, 8],
        ['type', 3, 6, 3, 7],
        ['type', 4, 6, 4, 9],
      ]);
    });

    it('allows only packages, keys and sources, and says so', () => {
      const problems = validateUbiopsYaml('apt:\n  packages: [git]\n  update: true\n');
      assert.deepEqual(rows(problems), [['unknown-key', 2, 2, 2, 8]]);
      assert.match(problems[0].message, /`update` in `apt`.*`packages`, `keys`, `sources`/);
    });

    for (const section of ['keys', 'sources']) {
      describe(`apt.${section}`, () => {
        const at = (body: string) => `apt:\n  packages: [git]\n  ${section}:\n${body}`;
        const indent = 2 + section.length + 2;

        it('must be a mapping', () => {
          assert.deepEqual(check(`apt:\n  packages: [git]\n  ${section}: [https://k]\n`), [
            ['type', 2, indent, 2, indent + 11],
          ]);
        });

        it('takes http(s) URLs only', () => {
          const problems = validateUbiopsYaml(at('    urls:\n      - https://ok\n      - ftp://no\n      - 3\n'));
          assert.deepEqual(rows(problems), [
            ['url-scheme', 5, 8, 5, 16],
            ['type', 6, 8, 6, 9],
          ]);
          assert.match(problems[0].message, new RegExp(`apt\\.${section}\\.urls.*http:// or https://`));
        });

        it('takes non-empty items', () => {
          assert.deepEqual(check(at('    items: ["deb x", "  "]\n')), [['empty-string', 3, 21, 3, 25]]);
        });

        it('allows only urls and items', () => {
          const problems = validateUbiopsYaml(at('    url: [https://k]\n'));
          assert.deepEqual(rows(problems), [['unknown-key', 3, 4, 3, 7]]);
          assert.match(problems[0].message, new RegExp(`\`url\` in \`apt\\.${section}\`.*\`urls\`, \`items\``));
        });
      });
    }
  });

  it('gives every problem a code and an error severity', () => {
    const problems = validateUbiopsYaml('x: 1\nenvironment_variables: [a, B, 1]\napt:\n  keys: 1\n');
    assert.equal(problems.length, 6);
    for (const problem of problems) {
      assert.ok(problem.code);
      assert.equal(problem.severity, 'error');
    }
  });
});
