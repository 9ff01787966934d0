import assert from 'node:assert/strict';
import { validateDependencyFile } from '../../../src/archive/validate';

describe('validateDependencyFile', () => {
  it('checks requirements.txt as a pip requirements file', () => {
    const problems = validateDependencyFile('requirements.txt', 'numpy 1.2\n');
    assert.deepEqual(
      problems.map((p) => [p.file, p.code]),
      [['requirements.txt', 'missing-operator']],
    );
  });

  it('checks ubiops.yaml against its schema', () => {
    const problems = validateDependencyFile('ubiops.yaml', 'apt: {}\n');
    assert.deepEqual(
      problems.map((p) => [p.file, p.code]),
      [['ubiops.yaml', 'missing-key']],
    );
  });

  it('has nothing to say about other files yet', () => {
    assert.deepEqual(validateDependencyFile('environment.yaml', 'apt: {}\nnumpy 1.2\n'), []);
    assert.deepEqual(validateDependencyFile('install_packages.R', 'numpy 1.2'), []);
  });
});
