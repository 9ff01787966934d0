import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EnvironmentNode } from '../../src/explorer/environmentNode';
import type { TreeNode } from '../../src/explorer/treeNode';
import { withAnswers } from './prompts';
import { useSession } from './session';
import { folderWith } from './tree';

const TOKEN = 'steps-token-4c1d';
const PROJECT = 'demo-project';

/** The step titles of a flow as the transcript has them: "<title>: <step> (n/total)". */
function steps(title: string, ...names: string[]): string[] {
  return names.map((name, index) => `${title}: ${name} (${index + 1}/${names.length})`);
}

describe('Multi-step inputs: create, edit and deploy with Back, step counts and checks on each step', function () {
  this.timeout(60_000);
  const session = useSession(TOKEN, { tempPrefix: 'ubiops-steps-' });

  const names = async () => (await session.client.listEnvironments(PROJECT)).map((environment) => environment.name);
  /** What the flows set: base, display name, description and labels. */
  const described = async (name: string) => {
    const environment = await session.client.getEnvironment(PROJECT, name);
    return [environment.base_environment, environment.display_name, environment.description, environment.labels];
  };
  const project = async (): Promise<TreeNode> =>
    (await session.api.explorer.getChildren()).find((node) => node.getTreeItem().label === PROJECT)!;

  it('creates an environment going Back to the first step: each step shows its count and what was entered', async () => {
    const { transcript } = await withAnswers(
      [
        { input: 'steps-first' },
        { pick: 'python3-11' },
        { input: 'Shown name' },
        { back: true },
        { back: true },
        { back: true },
        { input: 'steps-second' },
        { pick: 'python3-12' },
        { input: 'Shown name' },
        { input: 'made in steps' },
        { input: 'team:steps' },
        { button: undefined },
      ],
      async () => vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
    );
    const [name, base, display, description, labels] = steps(
      `Create an Environment in ${PROJECT}`,
      'name',
      'base environment',
      'display name',
      'description',
      'labels',
    );
    assert.deepEqual(transcript.prompts, [
      ...[name, base, display, description],
      ...[display, base, name],
      ...[base, display, description, labels],
    ]);
    // Each step shows again as it was left: the display name typed, the base picked, the name typed.
    const shown = 'Shown name | Python 3.11 | steps-first | Python 3.11 | Shown name';
    assert.equal(transcript.shown.slice(4, 9).join(' | '), shown);
    assert.deepEqual(await described('steps-second'), ['python3-12', 'Shown name', 'made in steps', { team: 'steps' }]);
    assert.ok(!(await names()).includes('steps-first'), 'only the finished flow creates');
  });

  it('keeps a step open while its check blocks, warns without blocking, and offers no Back on the first step', async () => {
    const { transcript } = await withAnswers(
      [{ input: 'data-science' }, { input: 'Steps_Warned' }, { escape: true }],
      async () => vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
    );
    assert.equal(transcript.prompts.length, 2, 'the name step stayed open until a name could be sent');
    assert.match(transcript.validations[0] ?? '', /already exists/);
    assert.deepEqual(transcript.severities, ['error', 'warning']);
    assert.match(transcript.prompts[1], /base environment \(2\/5\)$/);

    const first = await withAnswers([{ back: true }], async () =>
      vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
    ).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.match(String(first?.message), /shows the Back button/, 'the first step has no Back button');
  });

  it('Escape on any step ends the flow silently: nothing created, nothing shown', async () => {
    const before = await names();
    const { transcript } = await withAnswers(
      [{ input: 'steps-escaped' }, { pick: 'python3-12' }, { input: '' }, { escape: true }],
      async () => vscode.commands.executeCommand('ubiops.createEnvironment', await project()),
    );
    assert.deepEqual(transcript.messages, []);
    assert.deepEqual(await names(), before);
  });

  it('edits an environment going Back from the labels: the steps open with its values, then with those typed', async () => {
    await session.client.createEnvironment(PROJECT, {
      name: 'steps-edit',
      base_environment: 'python3-12',
      description: 'old description',
      labels: { stage: 'dev' },
    });
    session.api.explorer.refresh();
    const environment = (await session.api.explorer.getChildren(await project())).find(
      (node) => (node as Partial<EnvironmentNode>).environmentName === 'steps-edit',
    );
    const { transcript } = await withAnswers(
      [
        { input: 'Edited' },
        { input: 'typed description' },
        { back: true },
        { input: 'new description' },
        { input: 'stage:prod' },
      ],
      () => vscode.commands.executeCommand('ubiops.editEnvironment', environment),
    );
    const [display, description, labels] = steps('Edit steps-edit', 'display name', 'description', 'labels');
    assert.deepEqual(transcript.prompts, [display, description, labels, description, labels]);
    const shown = 'steps-edit | old description | stage:dev | typed description | stage:dev';
    assert.equal(transcript.shown.join(' | '), shown);
    assert.deepEqual(await described('steps-edit'), ['python3-12', 'Edited', 'new description', { stage: 'prod' }]);
  });

  it('deploys a folder to a new environment in four steps with Back, then asks before creating', async () => {
    const folder = await folderWith(session.dir, 'Steps Model', { 'requirements.txt': 'numpy==1.26.4\n' });
    const { transcript } = await withAnswers(
      [
        { pick: PROJECT },
        { pick: 'New environment from this folder' },
        { input: 'steps-typed' },
        { back: true },
        { input: 'steps-deployed' },
        { pick: 'python3-12' },
        { input: '' },
        { back: true },
        { input: 'Deployed' },
        { input: '' },
        { button: undefined },
      ],
      () => vscode.commands.executeCommand('ubiops.uploadFolder', folder),
    );
    const [name, base, display, description] = steps(
      `New Environment from Steps Model in ${PROJECT}`,
      'name',
      'base environment',
      'display name',
      'description',
    );
    assert.deepEqual(transcript.prompts.slice(2), [name, base, name, base, display, description, display, description]);
    // The first two shown are the palette's walk: the project, then "New environment from this folder".
    const flow = transcript.shown.slice(2);
    assert.equal(flow[0], 'steps-model', "the name proposed from the folder's");
    assert.equal(flow[2], 'steps-typed', 'the name typed, shown again after Back');
    const question = transcript.messages.find((message) => /Create the environment/.test(message.text));
    assert.match(question?.text ?? '', /Create the environment steps-deployed on python3-12 and upload Steps Model/);
    assert.ok(!(await names()).includes('steps-deployed'), 'answering no creates nothing');
  });
});

describe('Multi-step inputs: a server that cannot be reached', function () {
  this.timeout(60_000);
  const session = useSession(TOKEN, { tempPrefix: 'ubiops-steps-down-' });

  it('says once why the flow cannot start, offering the log, and shows no step', async () => {
    const project = (await session.api.explorer.getChildren()).find((node) => node.getTreeItem().label === PROJECT);
    await session.emulator.close();
    const { transcript } = await withAnswers([], () =>
      vscode.commands.executeCommand('ubiops.createEnvironment', project),
    );
    assert.deepEqual(transcript.prompts, [], 'no step is shown without the names taken and the bases');
    assert.equal(transcript.messages.length, 1, transcript.messages.map((message) => message.text).join(' / '));
    assert.match(transcript.messages[0].text, /could not list the environments of demo-project/);
    assert.ok(transcript.messages[0].buttons.includes('Show Log'));
  });
});
