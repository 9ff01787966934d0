import * as vscode from 'vscode';
import type { BuildRef } from '../builds/buildTracker';
import type { BuildLogDocuments } from '../documents/buildLogDocuments';
import { BuildNode } from '../explorer/buildNode';
import type { EnvironmentsProvider } from '../explorer/environmentsProvider';
import { pickNode } from './pickNode';
import { explained } from './userError';
import { inert } from '../ui/text';

function isBuildRef(value: unknown): value is BuildRef {
  const ref = value as Partial<BuildRef> | undefined;
  return !!ref && typeof ref.host === 'string' && typeof ref.project === 'string' && typeof ref.build === 'string';
}

/**
 * "Show Build Log": from a build row, a build notification or an upload (a build reference), or the palette (walks
 * the tree to a build). A running build's log follows it.
 */
export async function showBuildLog(
  deps: { explorer: EnvironmentsProvider; logs: BuildLogDocuments },
  target?: BuildNode | BuildRef,
): Promise<void> {
  const node = target instanceof BuildNode ? target : undefined;
  const ref = node?.ref ?? (isBuildRef(target) ? target : undefined);
  const picked = ref
    ? undefined
    : await pickNode<BuildNode>(deps.explorer, 'build', vscode.l10n.t('Show the Log of a Build'));
  const chosen = ref ?? picked?.ref;
  if (!chosen) {
    return;
  }
  const running = node?.running ?? picked?.running;
  await explained(deps.logs.show(chosen, { running }), (reason) =>
    vscode.l10n.t('UbiOps: could not open the build log: {0}', reason),
  );
}

/**
 * After an upload or a copy: the log opens by itself when `ubiops.builds.openLogAfterUpload` is on (beside, keeping
 * the focus), else the notification offers it.
 */
export function offerBuildLog(deps: { logs: BuildLogDocuments }, ref: BuildRef, what: string): void {
  if (vscode.workspace.getConfiguration('ubiops').get<boolean>('builds.openLogAfterUpload', false)) {
    void deps.logs.show(ref, { running: true, preserveFocus: true }).catch(() => undefined);
    void vscode.window.showInformationMessage(
      inert(vscode.l10n.t('UbiOps: {0}. The build has started; its log follows it.', what)),
    );
    return;
  }
  const showLog = vscode.l10n.t('Show Log');
  void vscode.window
    .showInformationMessage(
      inert(vscode.l10n.t('UbiOps: {0}. The build has started; you will be told when it finishes.', what)),
      showLog,
    )
    .then(async (choice) => {
      if (choice === showLog) {
        await deps.logs.show(ref, { running: true });
      }
    });
}
