import * as vscode from 'vscode';
import type { EnvironmentCreate, EnvironmentList } from '../api';
import { isBaseEnvironment } from '../explorer/describe';
import type { ProjectNode } from '../explorer/projectNode';
import { inert } from '../ui/text';
import { descriptionCheck, displayNameCheck, nameCheck, parseLabelInput } from './inputChecks';
import { runSteps, type Choice, type InputStep, type PickStep } from './multiStepInput';
import type { CommandDeps } from './registerCommands';
import { explained } from './userError';

/**
 * The steps that describe an environment, shared by "Create Environment", "Edit Environment" and "New environment
 * from this folder…". Values are kept as typed (so Back shows them as they were) and trimmed when sent.
 */
export interface EnvironmentDraft {
  name: string;
  base?: EnvironmentList;
  displayName: string;
  description: string;
  labels: string;
}

const LAST_BASE = 'ubiops.lastBaseEnvironment';

export function emptyDraft(name = ''): EnvironmentDraft {
  return { name, displayName: '', description: '', labels: '' };
}

/** Every environment of `project`, base ones included (the names taken, the bases to build on). */
function environmentsOf(project: ProjectNode): Promise<EnvironmentList[]> {
  return explained(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading environments…') },
      () => project.context.connection.client.listEnvironments(project.projectName, { environment_type: 'all' }),
    ),
    (reason) => vscode.l10n.t('UbiOps: could not list the environments of {0}: {1}', project.projectName, reason),
  );
}

/** The base environments, the one used last first and deprecated ones last, marked. */
function baseStep(deps: CommandDeps, all: readonly EnvironmentList[]): PickStep<EnvironmentDraft, EnvironmentList> {
  const last = deps.state.get<string>(LAST_BASE);
  const rank = (environment: EnvironmentList): number =>
    environment.name === last ? 0 : environment.deprecated ? 2 : 1;
  const items = all
    .filter(isBaseEnvironment)
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
    .map((environment): Choice<EnvironmentList> => ({
      label: `${environment.deprecated ? '$(warning) ' : ''}${inert(environment.display_name || environment.name)}`,
      description: [
        inert(environment.name),
        environment.name === last ? vscode.l10n.t('used last') : undefined,
        environment.gpu_required ? 'GPU' : undefined,
        environment.deprecated ? vscode.l10n.t('deprecated') : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      detail: environment.description ? inert(environment.description) : undefined,
      value: environment,
    }));
  return {
    kind: 'pick',
    title: vscode.l10n.t('base environment'),
    placeholder: vscode.l10n.t('The runtime to build on; it cannot be changed later'),
    items: () => items,
    picked: (draft) => draft.base,
    save: (draft, base) => (draft.base = base),
  };
}

/** Remembers the base of an environment just created: it comes first next time. */
export function rememberBase(deps: CommandDeps, base: EnvironmentList): Thenable<void> {
  return deps.state.update(LAST_BASE, base.name);
}

/** A step typing one text field of the draft, kept as typed. */
function textStep(
  field: 'name' | 'displayName' | 'description' | 'labels',
  title: string,
  options: Pick<InputStep<EnvironmentDraft>, 'prompt' | 'placeholder' | 'check'>,
): InputStep<EnvironmentDraft> {
  return {
    kind: 'input',
    title,
    ...options,
    value: (draft) => draft[field],
    save: (draft, value) => (draft[field] = value),
  };
}

function nameStep(taken: ReadonlySet<string>, prompt: string): InputStep<EnvironmentDraft> {
  const placeholder = vscode.l10n.t('my-environment');
  return textStep('name', vscode.l10n.t('name'), {
    prompt,
    placeholder,
    check: (value) => nameCheck(value.trim(), taken),
  });
}

export function displayNameStep(): InputStep<EnvironmentDraft> {
  const prompt = vscode.l10n.t('Optional: shown in UbiOps instead of the name. Leave empty to use the name.');
  return textStep('displayName', vscode.l10n.t('display name'), { prompt, check: displayNameCheck });
}

export function descriptionStep(): InputStep<EnvironmentDraft> {
  const prompt = vscode.l10n.t('Optional, at most 400 characters.');
  return textStep('description', vscode.l10n.t('description'), { prompt, check: descriptionCheck });
}

/** Labels as typed; the documented rule only warns, so an environment's own labels never block its edit. */
export function labelsStep(prompt: string): InputStep<EnvironmentDraft> {
  const placeholder = vscode.l10n.t('team:data, stage:dev');
  return textStep('labels', vscode.l10n.t('labels'), {
    prompt,
    placeholder,
    check: (value) => parseLabelInput(value).check,
  });
}

/**
 * Asks what a new environment of `project` is: its name (`namePrompt` explains it; `proposed` makes the first
 * value from the names taken), its base, display name and description, then the `more` steps. Undefined when the
 * user cancelled; throws a `UserError` when the environments cannot be listed.
 */
export async function askNewEnvironment(
  deps: CommandDeps,
  project: ProjectNode,
  title: string,
  ask: { namePrompt: string; proposed?: (taken: ReadonlySet<string>) => string; more?: InputStep<EnvironmentDraft>[] },
): Promise<{ body: EnvironmentCreate; base: EnvironmentList } | undefined> {
  const all = await environmentsOf(project);
  const taken = new Set(all.map((environment) => environment.name));
  const steps = [nameStep(taken, ask.namePrompt), baseStep(deps, all), displayNameStep(), descriptionStep()];
  const draft = await runSteps(title, [...steps, ...(ask.more ?? [])], emptyDraft(ask.proposed?.(taken)));
  return draft?.base && { body: creation({ ...draft, base: draft.base }), base: draft.base };
}

/** What "create" sends for a finished draft: the optional fields only when given. */
function creation(draft: EnvironmentDraft & { base: EnvironmentList }): EnvironmentCreate {
  const displayName = draft.displayName.trim();
  const description = draft.description.trim();
  return {
    name: draft.name.trim(),
    base_environment: draft.base.name,
    ...(displayName ? { display_name: displayName } : {}),
    ...(description ? { description } : {}),
    ...(draft.labels.trim() ? { labels: parseLabelInput(draft.labels).labels } : {}),
  };
}
