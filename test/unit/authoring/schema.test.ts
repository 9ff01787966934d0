import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { validateUbiopsYaml } from '../../../src/archive/ubiopsYaml';

const root = path.resolve(__dirname, '../../..');
const schema = JSON.parse(readFileSync(path.join(root, 'media/ubiops-yaml.schema.json'), 'utf8')) as object;
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { yamlValidation?: { fileMatch: string | string[]; url: string }[] };
};

/** The sample of the platform notes, as the official client validates it. */
const NOTES_SAMPLE = `environment_variables:        # optional; each item must match ^[A-Z_][A-Z0-9_]*=.*$
  - PIP_EXTRA_INDEX_URL=https://example.com/simple
apt:                          # optional; when present, packages is required
  keys:                       # optional
    urls: ["https://example.com/key.gpg"]
    items: ["ABCDEF"]
  sources:                    # optional, same shape as keys
    urls: ["https://example.com/repo"]
    items: ["deb https://example.com/debian stable main"]
  packages:                   # required inside apt; non-empty strings
    - libgomp1
`;

const SAMPLES: Record<string, string> = {
  'the notes sample': NOTES_SAMPLE,
  'an empty file': '',
  'only packages': 'apt:\n  packages:\n    - libgomp1\n',
  'a lower-case variable': 'environment_variables:\n  - pip_index=1\n',
  'a variable without =': 'environment_variables:\n  - PIP_INDEX\n',
  'apt without packages': 'apt:\n  keys:\n    urls: ["https://example.com/key"]\n',
  'an unknown top-level key': 'conda:\n  - numpy\n',
  'an unknown key under apt': 'apt:\n  packages: [a]\n  mirrors: [b]\n',
  'a key URL without a scheme': 'apt:\n  packages: [a]\n  keys:\n    urls: ["example.com/key"]\n',
  'an empty package name': 'apt:\n  packages: [""]\n',
  'packages not a list': 'apt:\n  packages: libgomp1\n',
  'a list at the top': '- apt\n',
};

describe('the ubiops.yaml JSON Schema', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('is contributed for ubiops.yaml files and ships in media/', () => {
    const contribution = manifest.contributes.yamlValidation?.find(
      (entry) => entry.url === './media/ubiops-yaml.schema.json',
    );
    assert.ok(contribution, 'yamlValidation points at the schema');
    assert.ok([contribution.fileMatch].flat().some((match) => match.endsWith('ubiops.yaml')));
  });

  it('accepts the sample of the platform notes and rejects a broken file', () => {
    assert.equal(validate(parse(NOTES_SAMPLE)), true, JSON.stringify(validate.errors));
    assert.equal(validate(parse(SAMPLES['a lower-case variable'])), false);
  });

  for (const [name, text] of Object.entries(SAMPLES)) {
    it(`agrees with the extension's own validator on ${name}`, () => {
      const schemaSays = validate(parse(text) ?? null);
      const validatorSays = validateUbiopsYaml(text).every((problem) => problem.severity !== 'error');
      assert.equal(
        schemaSays,
        validatorSays,
        `schema: ${JSON.stringify(validate.errors)}; validator: ${JSON.stringify(validateUbiopsYaml(text))}`,
      );
    });
  }
});
