/** The files UbiOps reads from an environment zip (`docs/ubiops-api/platform-notes.md`, "The environment zip"). */
export const DEPENDENCY_FILE_NAMES = [
  'requirements.txt',
  'ubiops.yaml',
  'install_packages.R',
  'renv.lock',
  'environment.yaml',
] as const;

export type DependencyFileName = (typeof DEPENDENCY_FILE_NAMES)[number];

export function isDependencyFileName(name: string): name is DependencyFileName {
  return (DEPENDENCY_FILE_NAMES as readonly string[]).includes(name);
}

/** The top folder UbiOps' CLI puts every file under; the packer writes this layout. */
export const ZIP_TOP_FOLDER = 'environment_package';
