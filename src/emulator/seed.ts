/**
 * Demo data: the platform's base environments and two projects whose custom environments show every state a user
 * meets (healthy, failed then fixed, processing, queued, cancelled, implicit, in use, expired, GPU, empty, on a
 * custom Docker image). Every field the official models declare nullable is null somewhere: the Docker-image
 * environment's `base_environment`, `base_environment_display_name`, `display_name`, `description` and `labels`, a
 * dependency file's `content` of its build, the cancelled build's `error_message`, and `size` of every build without
 * an image. Zips are real, built with jszip, so downloads, rebuilds and dependency-files work on them like on uploads.
 */
import { randomUUID } from 'node:crypto';
import JSZip from 'jszip';
import { ZIP_TOP_FOLDER } from '../archive/dependencyFiles';
import { type BuildRunner, inspectEnvironmentZip, TRIGGER_REBUILD, TRIGGER_UPLOAD } from './builds';
import { wallClockMs } from './clock';
import {
  CUSTOM_ENVIRONMENT_FLAGS,
  type BuildRecord,
  type EnvironmentRecord,
  type ProjectRecord,
  type RevisionRecord,
  type State,
  type Store,
  environmentTimestamp,
  revisionTimestamp,
} from './store';

export const DEMO_PROJECT = 'demo-project';
export const SECOND_PROJECT = 'sandbox-project';
export const DEMO_ORGANIZATION = 'demo-organization';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface BaseSpec {
  name: string;
  display_name: string;
  description: string;
  gpu: boolean;
  deprecated?: boolean;
}

const BASES: BaseSpec[] = [
  {
    name: 'python3-11',
    display_name: 'Python 3.11',
    description: 'Base environment containing Python 3.11',
    gpu: false,
  },
  {
    name: 'python3-12',
    display_name: 'Ubuntu 24.04 + Python 3.12',
    description: 'Base environment containing Python 3.12',
    gpu: false,
  },
  {
    name: 'ubuntu22-04-python3-11',
    display_name: 'Ubuntu 22.04 + Python 3.11',
    description: 'Base environment containing Ubuntu 22.04 and Python 3.11',
    gpu: false,
  },
  {
    name: 'ubuntu22-04-python3-10-cuda11-7-1',
    display_name: 'Ubuntu 22.04 + Python 3.10 + CUDA 11.7.1',
    description: 'Base environment containing Ubuntu 22.04, Python 3.10 and CUDA 11.7.1',
    gpu: true,
  },
  {
    name: 'ubuntu22-04-python3-11-cuda11-7-1',
    display_name: 'Ubuntu 22.04 + Python 3.11 + CUDA 11.7.1',
    description: 'Base environment containing Ubuntu 22.04, Python 3.11 and CUDA 11.7.1',
    gpu: true,
  },
  {
    name: 'ubuntu22-04-python3-10-cuda12-3-2',
    display_name: 'Ubuntu 22.04 + Python 3.10 + CUDA 12.3.2',
    description: 'Base environment containing Ubuntu 22.04, Python 3.10 and CUDA 12.3.2',
    gpu: true,
  },
  {
    name: 'python3-9',
    display_name: 'Python 3.9 (deprecated)',
    description: 'Base environment containing Python 3.9. Deprecated: move to Python 3.11 or later.',
    gpu: false,
    deprecated: true,
  },
];

/** Zips `files` under the CLI's top folder, as the packer writes them. */
export async function demoZip(files: Record<string, string>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) {
    zip.file(`${ZIP_TOP_FOLDER}/${name}`, content);
  }
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** `GET /projects/{project_name}` fields: no credit limit, not suspended, no CORS origins. */
const PROJECT_DETAIL = { credits: null, suspended: false, suspended_reason: null, cors_origins: [] };

const UBIOPS_YAML = 'environment_variables:\n  - PIP_DISABLE_PIP_VERSION_CHECK=1\napt:\n  packages:\n    - libgomp1\n';

/** `requirements.txt` of these lines, and `ubiops.yaml` when `yaml`: the files of a demo revision. */
function files(lines: string[], yaml = false): Record<string, string> {
  return {
    'requirements.txt': `${lines.join('\n')}\n`,
    ...(yaml ? { 'ubiops.yaml': UBIOPS_YAML } : {}),
  };
}

export async function seed(store: Store, runner: BuildRunner, buildSeconds: number, user: string): Promise<void> {
  const demo = new DemoSeed(store, runner, buildSeconds, user);
  seedBases(store.state);
  seedProjects(store.state, demo.now);
  // In this order: sequence numbers follow it.
  const dataScience = await seedDataScience(demo);
  await seedBuildStates(demo);
  const implicit = await seedSpecialEnvironments(demo);
  const quickstart = demo.env(SECOND_PROJECT, 'quickstart', 'python3-12', 40 * DAY, {
    description: 'Where new team members try things',
  });
  await demo.built(quickstart, files(['numpy==2.1.3']), 39 * DAY);
  demo.env(SECOND_PROJECT, 'empty', 'python3-11', DAY, { description: 'No file uploaded yet' });

  demo.usedBy(dataScience, 'churn-model', 'v1', 'available');
  demo.usedBy(dataScience, 'churn-model', 'v2', 'available');
  demo.usedBy(dataScience, 'forecast', 'production', 'unavailable');
  demo.usedBy(implicit, 'fraud-detector', 'v1', 'available');
  await demo.done();
}

function seedBases(state: State): void {
  const baseStamp = Date.parse('2023-03-01T08:32:14.876Z');
  BASES.forEach((b, i) => {
    state.environments.push({
      id: randomUUID(),
      name: b.name,
      display_name: b.display_name,
      base_environment: null,
      base_environment_display_name: null,
      project: null,
      creation_date: environmentTimestamp(baseStamp + i * DAY + 0.451),
      last_updated: environmentTimestamp(baseStamp + i * DAY + 2 * HOUR + 0.784),
      description: b.description,
      labels: {},
      gpu_required: b.gpu,
      ...CUSTOM_ENVIRONMENT_FLAGS,
      deprecated: b.deprecated ?? false,
      system: true,
    });
  });
}

function seedProjects(state: State, now: number): void {
  const project = (name: string, ago: number, purpose: string): ProjectRecord => ({
    id: randomUUID(),
    name,
    creation_date: environmentTimestamp(now - ago),
    advanced_permissions: false,
    organization_name: DEMO_ORGANIZATION,
    labels: { purpose },
    ...PROJECT_DETAIL,
  });
  state.projects.push(project(DEMO_PROJECT, 90 * DAY, 'demo'), project(SECOND_PROJECT, 45 * DAY, 'sandbox'));
}

/** Healthy, several revisions, labelled, and used by deployment versions so that deleting it is refused. */
async function seedDataScience(demo: DemoSeed): Promise<EnvironmentRecord> {
  const dataScience = demo.env(DEMO_PROJECT, 'data-science', 'python3-12', 30 * DAY, {
    display_name: 'Data science (Python 3.12)',
    description: 'pandas, scikit-learn and friends for the churn and forecast models',
    labels: { team: 'data', stage: 'production' },
  });
  await demo.built(dataScience, files(['pandas==2.1.4', 'scikit-learn==1.3.2']), 20 * DAY);
  const ds2Files = files(['pandas==2.2.2', 'scikit-learn==1.4.2', 'joblib==1.4.2'], true);
  const ds2 = await demo.built(dataScience, ds2Files, 12 * DAY, 'data-team@example.com');
  await demo.finished(dataScience, ds2, 10 * DAY, TRIGGER_REBUILD);
  const ds3Files = files(['pandas==2.2.3', 'scikit-learn==1.5.2', 'joblib==1.4.2', 'ubiops==4.12.0'], true);
  await demo.built(dataScience, ds3Files, 3 * DAY);
  return dataScience;
}

/** Failed then fixed, processing, queued and cancelled builds. */
async function seedBuildStates(demo: DemoSeed): Promise<void> {
  const { now, runner, longBuild } = demo;
  // A failed build (a broken requirements line), then the fix.
  const scraper = demo.env(DEMO_PROJECT, 'web-scraper', 'python3-11', 9 * DAY, { labels: { team: 'growth' } });
  await demo.built(scraper, files(['requests==2.32.3', 'beautifulsoup4 ==> 4.12']), 8 * DAY);
  await demo.built(scraper, files(['requests==2.32.3', 'beautifulsoup4==4.12.3']), 7 * DAY);

  // Latest build processing, on the real clock.
  const nlp = demo.env(DEMO_PROJECT, 'nlp-transformers', 'python3-12', 6 * DAY, {
    display_name: 'NLP with transformers',
    description: 'Tokenizers and transformer models for the support-ticket classifier',
  });
  await demo.built(nlp, files(['transformers==4.44.2', 'tokenizers==0.19.1']), 5 * DAY);
  const nlp2Files = files(['transformers==4.46.3', 'tokenizers==0.20.3', 'sentencepiece==0.2.0']);
  const nlp2 = await demo.revision(nlp, nlp2Files, MINUTE / 2);
  const processing = runner.create(nlp2.rev, TRIGGER_UPLOAD, longBuild, now - MINUTE / 2);
  processing.status = 'processing';
  processing.buildingAt = now - MINUTE / 3;
  processing.processingAt = now - MINUTE / 4;
  processing.finishAt = now + longBuild;

  // Latest build still queued.
  const imageTools = demo.env(DEMO_PROJECT, 'image-tools', 'ubuntu22-04-python3-11', HOUR, {
    description: 'OpenCV and Pillow for thumbnailing',
  });
  const imgFiles = files(['opencv-python-headless==4.10.0.84', 'pillow==11.0.0'], true);
  const img1 = await demo.revision(imageTools, imgFiles, 10_000);
  runner.create(img1.rev, TRIGGER_UPLOAD, longBuild + longBuild / 2, now);

  // A cancelled build.
  const experiment = demo.env(DEMO_PROJECT, 'experiment', 'python3-12', 2 * DAY, {
    labels: { stage: 'experimental' },
  });
  const ex1 = await demo.revision(experiment, files(['torch==2.5.1']), 2 * DAY);
  const cancelled = runner.create(ex1.rev, TRIGGER_UPLOAD, 4 * MINUTE, now - 2 * DAY);
  cancelled.status = 'cancelled';
  cancelled.error_message = null;
}

/** Implicit, expired, GPU and custom Docker image environments; returns the implicit one. */
async function seedSpecialEnvironments(demo: DemoSeed): Promise<EnvironmentRecord> {
  // Implicit: created by the platform from a deployment package, so uploads are refused.
  const implicit = demo.env(DEMO_PROJECT, 'fraud-detector-v1', 'python3-11', 15 * DAY, {
    display_name: 'Implicit environment of fraud-detector/v1',
    implicit: true,
  });
  await demo.built(implicit, files(['xgboost==2.1.1']), 15 * DAY, 'UbiOps');

  // An old revision whose file has expired, and a newer one that still has it; on a deprecated base.
  const legacy = demo.env(DEMO_PROJECT, 'legacy-reports', 'python3-9', 120 * DAY, {
    description: 'Monthly PDF reports; still on Python 3.9',
  });
  await demo.built(legacy, files(['reportlab==3.6.13']), 100 * DAY, demo.user, true);
  await demo.built(legacy, files(['reportlab==4.2.5']), 40 * DAY);

  // GPU.
  const gpu = demo.env(DEMO_PROJECT, 'gpu-training', 'ubuntu22-04-python3-11-cuda11-7-1', 4 * DAY, {
    display_name: 'GPU training (CUDA 11.7)',
    labels: { team: 'data', hardware: 'gpu' },
  });
  await demo.built(gpu, files(['torch==2.0.1', 'torchvision==0.15.2']), 4 * DAY);

  // On a custom Docker image: no base environment, and the nullable fields null. Its build's ubiops.yaml comes
  // without content, as the official models allow.
  const dockerImage = demo.env(DEMO_PROJECT, 'custom-image', null, 8 * DAY, {
    display_name: null,
    description: null,
    labels: null,
    supports_request_format: false,
  });
  const { build: diBuild } = await demo.built(dockerImage, files(['fastapi==0.115.5'], true), 8 * DAY);
  diBuild.files = diBuild.files.map((f) => (f.name === 'ubiops.yaml' ? { ...f, content: null } : f));
  return implicit;
}

/** Makes the demo records on one clock, and keeps the zip writes to wait for before the metadata is saved. */
class DemoSeed {
  readonly now = wallClockMs();
  /** Long enough for a person to watch a build run, whatever the configured build time. */
  readonly longBuild: number;
  private readonly zipWrites: Promise<void>[] = [];

  constructor(
    private readonly store: Store,
    readonly runner: BuildRunner,
    buildSeconds: number,
    readonly user: string,
  ) {
    this.longBuild = Math.max(MINUTE, 20 * buildSeconds * 1000);
  }

  env(
    project: string,
    name: string,
    base: string | null,
    createdAgo: number,
    extra: Partial<EnvironmentRecord> = {},
  ): EnvironmentRecord {
    const state = this.store.state;
    const baseRecord = state.environments.find((e) => e.project === null && e.name === base);
    const record: EnvironmentRecord = {
      id: randomUUID(),
      name,
      display_name: name,
      base_environment: base,
      base_environment_display_name: baseRecord?.display_name ?? null,
      project,
      creation_date: environmentTimestamp(this.now - createdAgo),
      last_updated: environmentTimestamp(this.now - createdAgo + 5 * MINUTE),
      description: '',
      labels: {},
      gpu_required: baseRecord?.gpu_required ?? false,
      ...CUSTOM_ENVIRONMENT_FLAGS,
      ...extra,
    };
    state.environments.push(record);
    return record;
  }

  /** A revision and its zip; `expired` revisions keep their metadata but not their file. */
  async revision(
    e: EnvironmentRecord,
    contents: Record<string, string>,
    ago: number,
    createdBy = this.user,
    expired = false,
  ): Promise<{ rev: RevisionRecord; data: Buffer }> {
    const rev: RevisionRecord = {
      id: randomUUID(),
      environmentId: e.id,
      creation_date: revisionTimestamp(this.now - ago),
      created_by: createdBy,
      expired,
      fileName: `${e.name}.zip`,
      seq: this.store.nextSeq(),
    };
    this.store.state.revisions.push(rev);
    const data = await demoZip(contents);
    if (!expired) {
      this.zipWrites.push(this.store.writeZip(rev.id, data));
    }
    return { rev, data };
  }

  /** A build that already ran: its outcome comes from the real inspection of the zip. */
  async finished(
    e: EnvironmentRecord,
    r: { rev: RevisionRecord; data: Buffer },
    ago: number,
    trigger = TRIGGER_UPLOAD,
  ): Promise<BuildRecord> {
    const build = this.runner.create(r.rev, trigger, 4 * MINUTE, this.now - ago);
    const outcome = await inspectEnvironmentZip(r.data, e.gpu_required);
    Object.assign(build, outcome);
    return build;
  }

  /** A revision with one finished build of the same age, as most demo revisions are. */
  async built(
    ...args: Parameters<DemoSeed['revision']>
  ): Promise<{ rev: RevisionRecord; data: Buffer; build: BuildRecord }> {
    const r = await this.revision(...args);
    const [e, , ago] = args;
    return { ...r, build: await this.finished(e, r, ago) };
  }

  usedBy(e: EnvironmentRecord, deployment: string, version: string, status: string): void {
    this.store.state.deploymentVersions.push({
      id: randomUUID(),
      project: e.project as string,
      deployment,
      version,
      environmentId: e.id,
      status,
    });
  }

  /** The metadata may refer to the zips only once they are in place. */
  done(): Promise<unknown> {
    return Promise.all(this.zipWrites);
  }
}
