import * as vscode from 'vscode';
import { isBuildRunning, type LogLine } from '../api';
import type { BuildRef, BuildTracker } from '../builds/buildTracker';
import { LogFollower } from '../builds/logFollower';
import { formatLogLine } from './logFormat';
import type { ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { inert } from '../ui/text';
import { Disposable } from '../util/lifecycle';

export const BUILD_LOG_SCHEME = 'ubiops-build-log';

/**
 * A build's log: `ubiops-build-log:/<project>/<environment>/build-<id8>.log`, so the title names project,
 * environment and build and VS Code's Log language colours it; the query carries the full ids and the host.
 */
export function buildLogUri(ref: BuildRef): vscode.Uri {
  const query = new URLSearchParams({ host: ref.host, revision: ref.revision, build: ref.build }).toString();
  return vscode.Uri.from({
    scheme: BUILD_LOG_SCHEME,
    path: `/${ref.project}/${ref.environment}/build-${ref.build.slice(0, 8)}.log`,
    query,
  });
}

export function parseBuildLogUri(uri: vscode.Uri): BuildRef | undefined {
  const [, project, environment] = uri.path.split('/');
  const query = new URLSearchParams(uri.query);
  const host = query.get('host');
  const revision = query.get('revision');
  const build = query.get('build');
  return project && environment && host && revision && build
    ? { host, project, environment, revision, build }
    : undefined;
}

interface OpenLog {
  ref: BuildRef;
  lines: string[];
  /** Document lines of level error and warning. */
  errors: number[];
  warnings: number[];
  state: 'reading' | 'following' | 'done' | 'failed';
  /** Revealed the first error once; afterwards the user's scrolling is theirs. */
  revealedError: boolean;
  /**
   * Per editor, the last line the log revealed in it, or `unpinned` once the user scrolled above it. An editor not
   * listed follows the bottom. Judged on the editor's own visible-range events, not at each append: the extension
   * host learns of a reveal's scrolling only later, and a comparison at append time would take a reveal still on
   * its way for the user scrolling up.
   */
  pinned: Map<vscode.TextEditor, number | 'unpinned'>;
  handle: { dispose(): void } | undefined;
}

/**
 * Read-only documents of build logs. A log is read page by page (a long one shows its first lines at once); a
 * running build's log is followed on the build tracker's cadence and grows in place, keeping an editor at its
 * bottom unless the user scrolled up; it stops with the build or when the document closes. Error and warning lines
 * are marked, and a failed build's log opens at its first error.
 */
export class BuildLogDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly logs = new Map<string, OpenLog>();
  private readonly changeEmitter = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changeEmitter.event;
  private readonly follower: LogFollower;
  private readonly errorDecoration = this.register(
    vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('inputValidation.errorBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorError.foreground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }),
  );
  private readonly warningDecoration = this.register(
    vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('inputValidation.warningBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }),
  );

  constructor(
    private readonly connections: ConnectionManager,
    tracker: BuildTracker,
  ) {
    super();
    this.follower = this.register(new LogFollower(tracker));
    [
      vscode.workspace.onDidCloseTextDocument((document) => this.close(document.uri)),
      vscode.workspace.onDidOpenTextDocument((document) => this.catchUp(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.changed(event.document)),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((editor) => this.decorate(editor))),
      vscode.window.onDidChangeTextEditorVisibleRanges(({ textEditor, visibleRanges }) =>
        this.scrolled(textEditor, visibleRanges),
      ),
      connections.onDidChange(() => [...this.logs.keys()].forEach((key) => this.close(vscode.Uri.parse(key)))),
    ].forEach((subscription) => this.register(subscription));
    // Registered last, so disposed first: the open logs close while the follower and the emitter still work.
    this.register({ dispose: () => [...this.logs.keys()].forEach((key) => this.close(vscode.Uri.parse(key))) });
  }

  /** Opens a build's log in an editor. `running` when known; otherwise the tracker finds out. */
  async show(ref: BuildRef, options: { running?: boolean; preserveFocus?: boolean } = {}): Promise<vscode.TextEditor> {
    const uri = buildLogUri(ref);
    this.start(uri, ref, options.running);
    const document = await vscode.workspace.openTextDocument(uri);
    this.catchUp(document);
    const editor = await vscode.window.showTextDocument(document, {
      preview: false,
      preserveFocus: options.preserveFocus,
    });
    this.decorate(editor);
    this.revealFirstError(uri.toString());
    return editor;
  }

  /** What a log document holds now (tests and the first paint read it). */
  snapshot(ref: BuildRef): { lines: number; errors: number[]; state: OpenLog['state'] } | undefined {
    const log = this.logs.get(buildLogUri(ref).toString());
    return log && { lines: log.lines.length, errors: [...log.errors], state: log.state };
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const ref = parseBuildLogUri(uri);
    if (!ref) {
      return vscode.l10n.t('{0} is not a UbiOps build log address.', uri.toString());
    }
    // A log restored with the window: start reading it.
    const log = this.start(uri, ref, undefined);
    return log.lines.join('\n');
  }

  private start(uri: vscode.Uri, ref: BuildRef, running: boolean | undefined): OpenLog {
    const key = uri.toString();
    const existing = this.logs.get(key);
    if (existing) {
      return existing;
    }
    const log: OpenLog = {
      ref,
      lines: [],
      errors: [],
      warnings: [],
      state: 'reading',
      revealedError: false,
      pinned: new Map(),
      handle: undefined,
    };
    this.logs.set(key, log);
    void this.connections.get().then(
      async (connection) => {
        if (this.logs.get(key) !== log) {
          return;
        }
        if (!connection || connection.host !== ref.host) {
          log.state = 'failed';
          void vscode.window.showWarningMessage(
            inert(
              vscode.l10n.t(
                'UbiOps: the log of build {0} is on {1}; sign in there to read it.',
                ref.build.slice(0, 8),
                new URL(ref.host).host,
              ),
            ),
          );
          return;
        }
        // Unknown (a log restored with the window): ask, so that a finished build is not followed (and announced).
        const follows =
          running ??
          (await connection.client.getBuild(ref.project, ref.environment, ref.revision, ref.build).then(
            (build) => isBuildRunning(build.status),
            () => false,
          ));
        if (this.logs.get(key) !== log) {
          return;
        }
        log.state = follows ? 'following' : 'reading';
        log.handle = this.follower.follow(
          ref,
          connection.client.buildLogReader(ref.project, ref.environment, ref.build),
          {
            append: (lines) => this.append(key, log, lines),
            end: () => {
              log.state = 'done';
              this.revealFirstError(key);
            },
            fail: (error) => {
              log.state = log.state === 'done' ? 'done' : 'failed';
              void vscode.window.showWarningMessage(
                inert(
                  vscode.l10n.t(
                    'UbiOps: could not read the log of build {0}: {1}',
                    ref.build.slice(0, 8),
                    describeError(error),
                  ),
                ),
              );
            },
          },
          follows,
        );
      },
      () => undefined,
    );
    return log;
  }

  private append(key: string, log: OpenLog, lines: LogLine[]): void {
    const uri = vscode.Uri.parse(key);
    for (const line of lines) {
      const level = String(line.metadata.level);
      if (level === 'error') {
        log.errors.push(log.lines.length);
      } else if (level === 'warning') {
        log.warnings.push(log.lines.length);
      }
      log.lines.push(formatLogLine(line));
    }
    this.changeEmitter.fire(uri);
  }

  /** After VS Code took the new text: marks, the first error of a failed build, the bottom for pinned editors. */
  private changed(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const log = document.uri.scheme === BUILD_LOG_SCHEME ? this.logs.get(key) : undefined;
    if (!log) {
      return;
    }
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document === document)) {
      this.decorate(editor);
      if (log.pinned.get(editor) !== 'unpinned' && !(log.errors.length > 0 && !log.revealedError)) {
        const last = document.lineCount - 1;
        log.pinned.set(editor, last);
        editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
      }
    }
    if (log.state !== 'following') {
      this.revealFirstError(key);
    }
  }

  /** The user scrolled: above the line last revealed, the editor stops following; back at it, it follows again. */
  private scrolled(editor: vscode.TextEditor, visibleRanges: readonly vscode.Range[]): void {
    const log =
      editor.document.uri.scheme === BUILD_LOG_SCHEME ? this.logs.get(editor.document.uri.toString()) : undefined;
    if (!log) {
      return;
    }
    const bottom = visibleRanges.at(-1)?.end.line ?? 0;
    const target = log.pinned.get(editor);
    const followed = typeof target === 'number' ? target : editor.document.lineCount - 1;
    log.pinned.set(editor, bottom >= followed - 1 ? followed : 'unpinned');
  }

  /**
   * Lines that arrived while VS Code was still creating the document (a change announced before the model exists
   * is dropped; seen in the browser workbench, where the first page can beat the model): announce them again.
   */
  private catchUp(document: vscode.TextDocument): void {
    const log = document.uri.scheme === BUILD_LOG_SCHEME ? this.logs.get(document.uri.toString()) : undefined;
    if (log && log.lines.length > 0 && document.lineCount !== log.lines.length) {
      this.changeEmitter.fire(document.uri);
    }
  }

  private revealFirstError(key: string): void {
    const log = this.logs.get(key);
    const first = log?.errors[0];
    if (!log || first === undefined || log.revealedError) {
      return;
    }
    const editors = vscode.window.visibleTextEditors.filter(
      (e) => e.document.uri.toString() === key && e.document.lineCount > first,
    );
    if (editors.length === 0) {
      return;
    }
    log.revealedError = true;
    for (const editor of editors) {
      const range = new vscode.Range(first, 0, first, 0);
      editor.selection = new vscode.Selection(range.start, range.start);
      editor.revealRange(range, vscode.TextEditorRevealType.AtTop);
    }
  }

  private decorate(editor: vscode.TextEditor): void {
    const log =
      editor.document.uri.scheme === BUILD_LOG_SCHEME ? this.logs.get(editor.document.uri.toString()) : undefined;
    if (!log) {
      return;
    }
    const ranges = (lines: number[]) =>
      lines.filter((l) => l < editor.document.lineCount).map((l) => new vscode.Range(l, 0, l, 0));
    editor.setDecorations(this.errorDecoration, ranges(log.errors));
    editor.setDecorations(this.warningDecoration, ranges(log.warnings));
  }

  private close(uri: vscode.Uri): void {
    const key = uri.toString();
    const log = this.logs.get(key);
    if (log) {
      log.handle?.dispose();
      this.logs.delete(key);
    }
  }
}
