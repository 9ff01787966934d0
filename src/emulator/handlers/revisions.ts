/** Revisions of an environment: list, get, download, and upload (a file, or a copy of another environment's). */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { EnvironmentRevisionCreate } from '../../api/models';
import { revisionDetail } from '../answers';
import { TRIGGER_COPY, TRIGGER_UPLOAD } from '../builds';
import { contentDisposition, type Ctx, HttpError, sendJson } from '../http';
import { findEnvironment, requireCustom, requireEnvironment, requireRevision } from '../lookup';
import { readUpload, type UploadForm } from '../multipart';
import { type EnvironmentRecord, type RevisionRecord, revisionTimestamp } from '../store';
import { startBuild } from './builds';
import { ENVIRONMENT, REVISION, type RouteTable, type Services } from './services';

export function revisionRoutes(s: Services): RouteTable {
  return {
    [`${ENVIRONMENT}/revisions`]: { GET: (c) => listRevisions(s, c), POST: (c) => upload(s, c) },
    [REVISION]: {
      GET: (c) => {
        const { env, rev } = requireRevision(s.store.state, c.params);
        sendJson(c.res, 200, revisionDetail(rev, env));
      },
    },
    [`${REVISION}/download`]: { GET: (c) => download(s, c) },
  };
}

function listRevisions(s: Services, { res, params }: Ctx): void {
  const env = requireEnvironment(s.store.state, params);
  const list = s.store.state.revisions
    .filter((r) => r.environmentId === env.id)
    .sort((a, b) => a.seq - b.seq)
    .map((r) => revisionDetail(r, env));
  sendJson(res, 200, list);
}

async function download(s: Services, { res, params }: Ctx): Promise<void> {
  const { rev } = requireRevision(s.store.state, params);
  if (rev.expired) {
    throw new HttpError(404, `The file of revision "${rev.id}" has expired and can no longer be downloaded.`);
  }
  const file = s.store.zipPath(rev.id);
  let size: number;
  try {
    size = (await fs.promises.stat(file)).size;
  } catch {
    throw new HttpError(404, `The file of revision "${rev.id}" is not available.`);
  }
  res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Length': String(size),
    'Content-Disposition': contentDisposition(rev.fileName),
  });
  await s.bandwidth.sendStream(fs.createReadStream(file), res);
}

async function upload(s: Services, { req, res, params }: Ctx): Promise<void> {
  const target = requireEnvironment(s.store.state, params);
  requireCustom(target, 'uploaded to');
  if (target.implicit) {
    throw new HttpError(
      400,
      `Environment "${target.name}" is implicit: its files change only through a new deployment package.`,
    );
  }
  const form = await readUpload(req, {
    store: s.store,
    maxUploadBytes: s.maxUploadBytes,
    body: (r) => s.bandwidth.requestBody(r),
  });
  let created: { rev: RevisionRecord; trigger: string };
  try {
    // The environment may have gone while the body streamed in.
    const env = requireEnvironment(s.store.state, params);
    if (env.id !== target.id) {
      throw new HttpError(404, `Environment "${params.environment}" not found in project "${params.project}".`);
    }
    created = await createRevision(s, env, params.project, form);
  } finally {
    if (form.file) {
      await s.store.removeTemp(form.file.tempPath);
    }
  }
  const { rev, trigger } = created;
  rev.seq = s.store.nextSeq();
  s.store.state.revisions.push(rev);
  const build = await startBuild(s, rev, trigger);
  const answer: EnvironmentRevisionCreate = { success: true, revision: rev.id, build: build.id };
  sendJson(res, 201, answer);
}

/** The new revision's file in place: the uploaded one (taken from `form`), or a copy of the source's. */
async function createRevision(
  s: Services,
  env: EnvironmentRecord,
  project: string,
  form: UploadForm,
): Promise<{ rev: RevisionRecord; trigger: string }> {
  if (form.file && form.source !== undefined) {
    throw new HttpError(400, 'Provide either a file or a source_environment, not both.');
  }
  if (!form.file && form.source === undefined) {
    throw new HttpError(400, 'Either file or source_environment must be provided.');
  }
  const rev: RevisionRecord = {
    id: randomUUID(),
    environmentId: env.id,
    creation_date: revisionTimestamp(),
    created_by: s.user.email,
    expired: false,
    fileName: form.file?.name ?? '',
    seq: 0,
  };
  if (form.file) {
    await s.store.commitZip(form.file.tempPath, rev.id);
    form.file = undefined;
    return { rev, trigger: TRIGGER_UPLOAD };
  }
  const source = sourceRevision(s, project, form.source as string);
  rev.fileName = source.fileName;
  await s.store.copyZip(source.id, rev.id);
  return { rev, trigger: TRIGGER_COPY };
}

/** The revision a copy takes: the source's active one, else its latest; 400 when none or expired. */
function sourceRevision(s: Services, project: string, sourceName: string): RevisionRecord {
  const state = s.store.state;
  const source = findEnvironment(state, project, sourceName);
  if (!source) {
    throw new HttpError(400, `Source environment "${sourceName}" does not exist in project "${project}".`);
  }
  const bySeq = (a: { seq: number }, b: { seq: number }): number => b.seq - a.seq;
  const activeBuild = state.builds
    .filter((b) => b.environmentId === source.id && b.status === 'success')
    .sort(bySeq)[0];
  const revision =
    (activeBuild && state.revisions.find((r) => r.id === activeBuild.revisionId)) ??
    state.revisions.filter((r) => r.environmentId === source.id).sort(bySeq)[0];
  if (!revision) {
    throw new HttpError(400, `Source environment "${sourceName}" has no revision to copy.`);
  }
  if (revision.expired) {
    throw new HttpError(400, `The file of source environment "${sourceName}" (revision "${revision.id}") has expired.`);
  }
  return revision;
}
