import type { FileProblem } from './problems';
import { validateRequirements } from './requirements';
import { validateUbiopsYaml } from './ubiopsYaml';

/** Problems in one dependency file, by its name; files without a validator yet yield none. */
export function validateDependencyFile(name: string, text: string): FileProblem[] {
  switch (name) {
    case 'requirements.txt':
      return validateRequirements(text, name);
    case 'ubiops.yaml':
      return validateUbiopsYaml(text, name);
    default:
      return [];
  }
}
