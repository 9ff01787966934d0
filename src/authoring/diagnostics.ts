import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileProblem } from '../archive/problems';
import { loadArchive } from '../archive/lazy';
import { Disposable } from '../util/lifecycle';

/** The files checked while typing; the validators are the ones the upload and the emulator's build use. */
const CHECKED_FILES = new Set(['ubiops.yaml', 'requirements.txt']);

/**
 * Problems in a checked file. The validators are loaded on the first check, not at activation (with the YAML
 * parser they are a third of the bundle), and called through `validateDependencyFile`, which never throws: a file
 * they cannot judge gets a problem that says so.
 */
function validate(file: string, text: string): FileProblem[] {
  return loadArchive().validateDependencyFile(file, text);
}

export const DIAGNOSTIC_SOURCE = 'UbiOps';
const DEBOUNCE_MS = 250;

export function isCheckedFile(uri: vscode.Uri): boolean {
  return (
    (uri.scheme === 'file' || uri.scheme === 'untitled' || uri.scheme === 'vscode-remote') &&
    CHECKED_FILES.has(path.posix.basename(uri.path))
  );
}

export function toDiagnostic(problem: FileProblem): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(problem.line, problem.column, problem.endLine, problem.endColumn),
    problem.message,
    problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = problem.code;
  return diagnostic;
}

/**
 * Problems in `ubiops.yaml` and `requirements.txt` while they are edited, debounced, with exact ranges. Only open
 * documents are checked: nothing is read from disk, and closing a file clears its problems.
 */
export class DependencyFileDiagnostics extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('ubiops'));
  private readonly timers = new Map<string, NodeJS.Timeout>();
  constructor() {
    super();
    this.register({ dispose: () => this.timers.forEach((timer) => clearTimeout(timer)) });
    [
      vscode.workspace.onDidOpenTextDocument((document) => this.check(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('ubiops.validation.enabled')) {
          this.checkAll();
        }
      }),
    ].forEach((subscription) => this.register(subscription));
    this.checkAll();
  }

  private checkAll(): void {
    for (const document of vscode.workspace.textDocuments) {
      this.check(document);
    }
  }

  private schedule(document: vscode.TextDocument): void {
    if (!isCheckedFile(document.uri)) {
      return;
    }
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(document);
      }, DEBOUNCE_MS),
    );
  }

  private check(document: vscode.TextDocument): void {
    if (!isCheckedFile(document.uri) || document.isClosed) {
      return;
    }
    const enabled = vscode.workspace.getConfiguration('ubiops', document.uri).get<boolean>('validation.enabled', true);
    if (!enabled) {
      this.collection.delete(document.uri);
      return;
    }
    const file = path.posix.basename(document.uri.path);
    this.collection.set(document.uri, validate(file, document.getText()).map(toDiagnostic));
  }

  private forget(uri: vscode.Uri): void {
    clearTimeout(this.timers.get(uri.toString()));
    this.timers.delete(uri.toString());
    this.collection.delete(uri);
  }
}
