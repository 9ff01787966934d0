import * as vscode from 'vscode';
import type { EnvironmentBuild } from '../api';
import { dependencyFileUri } from '../documents/dependencyFileDocuments';
import type { DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import type { BuildRef, BuildTracker } from './buildTracker';

/**
 * What the user sees of followed builds: a status-bar item while any runs, and a notification when one finishes,
 * with what to do next.
 */
export class BuildStatusUi implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ubiops.builds', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: { dispose(): void }[];

  constructor(
    tracker: BuildTracker,
    private readonly documents: DependencyFileDocuments,
  ) {
    this.item.name = 'UbiOps Builds';
    this.item.command = 'ubiops.environments.focus';
    this.subscriptions = [
      tracker.onDidChangeRunning((count) => this.showCount(count)),
      tracker.onDidFinish(({ ref, build }) => void this.announce(ref, build)),
      tracker.onDidLose(({ ref }) => {
        void vscode.window.showWarningMessage(`UbiOps: stopped following build ${ref.build.slice(0, 8)} of ${ref.environment}: it can no longer be read.`);
      }),
    ];
  }

  dispose(): void {
    this.item.dispose();
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
  }

  private showCount(count: number): void {
    if (count === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(sync~spin) ${count} UbiOps build${count === 1 ? '' : 's'}`;
    this.item.tooltip = `${count} environment build${count === 1 ? ' is' : 's are'} queued or processing. Click to show them.`;
    this.item.show();
  }

  private async announce(ref: BuildRef, build: EnvironmentBuild): Promise<void> {
    this.documents.invalidate(ref);
    const where = `${ref.environment} (${ref.project})`;
    if (build.status === 'success') {
      const choice = await vscode.window.showInformationMessage(
        `UbiOps: the build of ${where} succeeded.`,
        'Show Dependency Files',
      );
      if (choice) {
        await this.showFiles(ref);
      }
    } else if (build.status === 'failed') {
      const reason = build.error_message ? `: ${build.error_message.split('\n')[0].slice(0, 200)}` : '.';
      const choice = await vscode.window.showErrorMessage(`UbiOps: the build of ${where} failed${reason}`, 'Show Error', 'Rebuild');
      if (choice === 'Show Error') {
        const document = await vscode.workspace.openTextDocument({ content: build.error_message || 'No error message.', language: 'log' });
        await vscode.window.showTextDocument(document, { preview: true });
      } else if (choice === 'Rebuild') {
        await vscode.commands.executeCommand('ubiops.rebuildRevision', ref);
      }
    }
  }

  private async showFiles(ref: BuildRef): Promise<void> {
    const files = await this.documents.files(ref);
    for (const [index, file] of files.entries()) {
      await vscode.window.showTextDocument(dependencyFileUri(ref, file.name), { preview: index === 0, preserveFocus: index > 0 });
    }
  }
}
