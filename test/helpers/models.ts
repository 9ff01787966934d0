/** Whole API objects for tests of code that reads them: every field UbiOps sends, overridable one by one. */
import type { EnvironmentBuild, EnvironmentList } from '../../src/api';
import { CUSTOM_ENVIRONMENT_FLAGS } from '../../src/emulator/store';

const ENVIRONMENT: EnvironmentList = {
  id: 'e1',
  name: 'my-env',
  display_name: 'My env',
  base_environment: 'python3-12',
  base_environment_display_name: 'Python 3.12',
  project: 'demo-project',
  creation_date: '2024-01-01T00:00:00Z',
  last_updated: '2024-01-01T00:00:00Z',
  description: 'desc',
  labels: { team: 'data' },
  gpu_required: false,
  ...CUSTOM_ENVIRONMENT_FLAGS,
};

const BUILD: EnvironmentBuild = {
  id: 'b1',
  revision: 'r1',
  creation_date: '2024-01-01T00:00:00Z',
  status: 'success',
  error_message: null,
  trigger: 'Revision created',
  size: null,
};

/** An environment as `GET …/environments` lists it (a python3-12 one, active, not a base environment). */
export function environmentOf(fields: Partial<EnvironmentList> = {}): EnvironmentList {
  return { ...ENVIRONMENT, labels: { ...ENVIRONMENT.labels }, ...fields };
}

/** A finished, successful build as `GET …/builds/{id}` answers it. */
export function buildOf(fields: Partial<EnvironmentBuild> = {}): EnvironmentBuild {
  return { ...BUILD, ...fields };
}
