// A folder to open the workbench on: the two dependency files of a UbiOps environment.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILES = {
  'requirements.txt': `# Python packages pip installs into the environment
numpy==2.1.3
pandas>=2.2,<3
scikit-learn~=1.5.2
`,
  'ubiops.yaml': `# System packages and variables for the environment's build
environment_variables:
  - PIP_DISABLE_PIP_VERSION_CHECK=1
apt:
  packages:
    - libgomp1
`,
};

/** Writes the sample files that are missing (an edited file is left as it is); returns the folder. */
export async function ensureDemoWorkspace(folder) {
  await mkdir(folder, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) {
    if (!existsSync(join(folder, name))) await writeFile(join(folder, name), text);
  }
  return folder;
}
