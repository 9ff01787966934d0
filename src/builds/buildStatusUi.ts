import * as vscode from 'vscode';
import type { EnvironmentBuild } from '../api';
import { dependencyFileUri } from '../documents/dependencyFileDocuments';
import type { DependencyFileDocuments } from '../documents/dependencyFileDocuments';
import { inert, inertFirstLine } from '../ui/text';
import { Disposable } from '../util/lifecycle';
import type { BuildRef, BuildTracker } from './buildTracker';

/** A button of a build's notification and what it does. */
export interface BuildAction {
  title: string;
  run(): Thenable<unknown> | Promise<unknown>;
}

/**
 * What the user sees of followed builds: a status-bar item while any runs, and a notification when one finishes,
 * with what to do next. Every server string in them (names, the error's first line) is made inert: a notification
 * would turn `[x](command:…)` into a link.
 */
export class BuildStatusUi extends Disposable implements vscode.Disposable {
  private readonly item = this.register(
    vscode.window.createStatusBarItem('ubiops.builds', vscode.StatusBarAlignment.Left, 50),
  );

  constructor(
    tracker: BuildTracker,
    private readonly documents: DependencyFileDocuments,
  ) {
    super();
    this.item.name = vscode.l10n.t('UbiOps Builds');
    this.item.command = 'ubiops.environments.focus';
    this.register(tracker.onDidChangeRunning((count) => this.showCount(count)));
    this.register(tracker.onDidFinish(({ ref, build }) => void this.announce(ref, build)));
    this.register(
      tracker.onDidLose(({ ref }) => {
        void vscode.window.showWarningMessage(
          inert(
            vscode.l10n.t(
              'UbiOps: stopped following build {0} of {1}: it can no longer be read.',
              ref.build.slice(0, 8),
              ref.environment,
            ),
          ),
        );
      }),
    );
  }

  private showCount(count: number): void {
    if (count === 0) {
      this.item.hide();
      return;
    }
    this.item.text =
      count === 1
        ? vscode.l10n.t('$(sync~spin) 1 UbiOps build')
        : vscode.l10n.t('$(sync~spin) {0} UbiOps builds', count);
    this.item.tooltip =
      count === 1
        ? vscode.l10n.t('1 environment build is running (queued, processing or building). Click to show it.')
        : vscode.l10n.t(
            '{0} environment builds are running (queued, processing or building). Click to show them.',
            count,
          );
    this.item.show();
  }

  private async announce(ref: BuildRef, build: EnvironmentBuild): Promise<void> {
    this.documents.invalidate(ref);
    const { message, severity, actions } = this.notice(ref, build);
    const buttons = actions.map((action) => action.title);
    const choice = await (severity === 'error'
      ? vscode.window.showErrorMessage(inert(message), ...buttons)
      : severity === 'warning'
        ? vscode.window.showWarningMessage(inert(message), ...buttons)
        : vscode.window.showInformationMessage(inert(message), ...buttons));
    await actions.find((action) => action.title === choice)?.run();
  }

  /** The notification of a finished build: its words by outcome, and the actions it offers (others may add some). */
  notice(
    ref: BuildRef,
    build: EnvironmentBuild,
  ): { message: string; severity: 'info' | 'warning' | 'error'; actions: BuildAction[] } {
    const where = `${ref.environment} (${ref.project})`;
    const showLog: BuildAction = {
      title: vscode.l10n.t('Show Log'),
      run: () => vscode.commands.executeCommand('ubiops.showBuildLog', ref),
    };
    const rebuild: BuildAction = {
      title: vscode.l10n.t('Rebuild'),
      run: () => vscode.commands.executeCommand('ubiops.rebuildRevision', ref),
    };
    switch (build.status) {
      case 'success':
        return {
          message: vscode.l10n.t('UbiOps: the build of {0} succeeded.', where),
          severity: 'info',
          actions: [{ title: vscode.l10n.t('Show Dependency Files'), run: () => this.showFiles(ref) }, showLog],
        };
      case 'cancelled':
        return {
          message: vscode.l10n.t('UbiOps: the build of {0} was cancelled; it made no image.', where),
          severity: 'warning',
          actions: [showLog, rebuild],
        };
      default: {
        const reason = build.error_message ? inertFirstLine(build.error_message) : '';
        return {
          message: reason
            ? vscode.l10n.t('UbiOps: the build of {0} failed: {1}', where, reason)
            : vscode.l10n.t('UbiOps: the build of {0} failed.', where),
          severity: 'error',
          actions: [{ title: vscode.l10n.t('Show Error'), run: () => this.showError(build) }, showLog, rebuild],
        };
      }
    }
  }

  private async showError(build: EnvironmentBuild): Promise<void> {
    const content = build.error_message || vscode.l10n.t('No error message.');
    const document = await vscode.workspace.openTextDocument({ content, language: 'log' });
    await vscode.window.showTextDocument(document, { preview: true });
  }

  private async showFiles(ref: BuildRef): Promise<void> {
    const files = await this.documents.files(ref);
    for (const [index, file] of files.entries()) {
      await vscode.window.showTextDocument(dependencyFileUri(ref, file.name), {
        preview: index === 0,
        preserveFocus: index > 0,
      });
    }
  }
}
