/** `GET /user`, `GET /projects`, `GET /projects/{project_name}` and the project's logs. */
import type { Project, ProjectDetail } from '../../api/models';
import { projectAnswer } from '../answers';
import { type Ctx, HttpError, matchesLabels, parseLabelFilter, sendJson } from '../http';
import { LogQueryError } from '../logs';
import { requireProject } from '../lookup';
import type { RouteTable, Services } from './services';

export function projectRoutes(s: Services): RouteTable {
  return {
    user: { GET: (c) => sendJson(c.res, 200, s.user) },
    projects: { GET: (c) => listProjects(s, c) },
    'projects/:project': { GET: (c) => getProject(s, c) },
  };
}

export function logRoutes(s: Services): RouteTable {
  return { 'projects/:project/logs': { GET: (c) => listLogs(s, c) } };
}

function listProjects(s: Services, { res, query }: Ctx): void {
  const wanted = parseLabelFilter(query.get('labels'));
  const projects: Project[] = s.store.state.projects.filter((p) => matchesLabels(p.labels, wanted)).map(projectAnswer);
  sendJson(res, 200, projects);
}

function getProject(s: Services, { res, params }: Ctx): void {
  const p = s.store.state.projects.find((x) => x.name === params.project);
  if (!p) {
    throw new HttpError(404, `Project "${params.project}" not found.`);
  }
  const detail: ProjectDetail = {
    ...projectAnswer(p),
    suspended: p.suspended,
    suspended_reason: p.suspended_reason,
    cors_origins: [...p.cors_origins],
  };
  sendJson(res, 200, detail);
}

function listLogs(s: Services, { res, params, query }: Ctx): void {
  requireProject(s.store.state, params.project);
  let text: string;
  try {
    text = s.logs.answer(params.project, query);
  } catch (err) {
    throw err instanceof LogQueryError ? new HttpError(400, err.message) : err;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}
