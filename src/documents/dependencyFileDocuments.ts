import * as vscode from 'vscode';
import type { EnvironmentBuildDependency } from '../api';
import type { BuildRef } from '../builds/buildTracker';
import type { ConnectionManager } from '../connection/connectionManager';
import { describeError } from '../connection/connectionManager';
import { Disposable } from '../util/lifecycle';

export const DEPENDENCY_FILE_SCHEME = 'ubiops-build';

/**
 * The URI of a build's dependency file: `ubiops-build:/<project>/<environment>/build-<id8>/<file>`, so the editor's
 * title and breadcrumbs name project, environment and build, and the extension picks the language. The query
 * carries the full ids and the host the build belongs to.
 */
export function dependencyFileUri(ref: BuildRef, fileName: string): vscode.Uri {
  const query = new URLSearchParams({ host: ref.host, revision: ref.revision, build: ref.build }).toString();
  return vscode.Uri.from({
    scheme: DEPENDENCY_FILE_SCHEME,
    path: `/${ref.project}/${ref.environment}/build-${ref.build.slice(0, 8)}/${fileName}`,
    query,
  });
}

/** The other side of a diff where one build lacks a file: an empty document under the same name. */
export function absentFileUri(ref: BuildRef, fileName: string): vscode.Uri {
  const uri = dependencyFileUri(ref, fileName);
  return uri.with({ query: `${uri.query}&absent=1` });
}

export function parseDependencyFileUri(uri: vscode.Uri): { ref: BuildRef; fileName: string; absent: boolean } {
  const [, project, environment, , fileName] = uri.path.split('/');
  const query = new URLSearchParams(uri.query);
  const host = query.get('host');
  const revision = query.get('revision');
  const build = query.get('build');
  if (!project || !environment || !fileName || !host || !revision || !build) {
    throw new Error(`${uri.toString()} is not a UbiOps dependency-file address.`);
  }
  return { ref: { host, project, environment, revision, build }, fileName, absent: query.get('absent') === '1' };
}

/** Languages of the dependency files, where VS Code cannot tell from the name alone. */
const LANGUAGES: Record<string, string[]> = {
  'requirements.txt': ['pip-requirements', 'plaintext'],
  'ubiops.yaml': ['yaml'],
  'environment.yaml': ['yaml'],
  'install_packages.R': ['r', 'plaintext'],
  'renv.lock': ['json'],
};

/**
 * Read-only documents of the dependency files of builds, fetched through the client. A read-only file system (not a
 * content provider) so that VS Code itself refuses edits and shows the editor as read-only. One request per build:
 * the answer holds every file, and the files of a finished build never change, so it is kept for the session.
 */
export class DependencyFileDocuments extends Disposable implements vscode.FileSystemProvider {
  private readonly cache = new Map<string, Promise<EnvironmentBuildDependency[]>>();
  private readonly changeEmitter = this.register(new vscode.EventEmitter<vscode.FileChangeEvent[]>());
  readonly onDidChangeFile = this.changeEmitter.event;
  constructor(private readonly connections: ConnectionManager) {
    super();
    this.register(vscode.workspace.onDidOpenTextDocument((document) => void this.setLanguage(document)));
    this.register(connections.onDidChange(() => this.cache.clear()));
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return Buffer.from(await this.content(uri), 'utf8');
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const size = Buffer.byteLength(await this.content(uri), 'utf8');
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size, permissions: vscode.FilePermission.Readonly };
  }

  watch(): vscode.Disposable {
    // Changes are announced by invalidate(); there is nothing to watch.
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(): never {
    throw vscode.FileSystemError.FileNotADirectory();
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  private async content(uri: vscode.Uri): Promise<string> {
    let parsed;
    try {
      parsed = parseDependencyFileUri(uri);
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    if (parsed.absent) {
      return '';
    }
    const file = (await this.files(parsed.ref)).find((candidate) => candidate.name === parsed.fileName);
    if (!file) {
      throw vscode.FileSystemError.FileNotFound(
        `Build ${parsed.ref.build} of ${parsed.ref.environment} has no ${parsed.fileName}.`,
      );
    }
    // Nullable in the official models: a file the server sends without content reads as empty.
    return file.content ?? '';
  }

  /** The dependency files of a build, from the cache or one request. */
  async files(ref: BuildRef): Promise<EnvironmentBuildDependency[]> {
    const key = `${ref.host}|${ref.build}`;
    let files = this.cache.get(key);
    if (!files) {
      files = this.fetch(ref);
      this.cache.set(key, files);
      // Failures and empty answers (a build still running) are not kept: the next open asks again.
      files.then(
        (result) => result.length === 0 && this.cache.delete(key),
        () => this.cache.delete(key),
      );
    }
    return files;
  }

  /** Forgets a build's files (after it finished) and refreshes its open documents. */
  invalidate(ref: BuildRef): void {
    this.cache.delete(`${ref.host}|${ref.build}`);
    for (const document of vscode.workspace.textDocuments) {
      if (
        document.uri.scheme === DEPENDENCY_FILE_SCHEME &&
        new URLSearchParams(document.uri.query).get('build') === ref.build
      ) {
        this.changeEmitter.fire([{ type: vscode.FileChangeType.Changed, uri: document.uri }]);
      }
    }
  }

  private async fetch(ref: BuildRef): Promise<EnvironmentBuildDependency[]> {
    const connection = await this.connections.get();
    if (!connection || connection.host !== ref.host) {
      throw new Error(
        `This file belongs to a build on ${new URL(ref.host).host}, and the extension is ${connection ? `connected to ${new URL(connection.host).host}` : 'not signed in'}. Sign in to ${new URL(ref.host).host} to read it.`,
      );
    }
    try {
      return await connection.client.listBuildDependencyFiles(ref.project, ref.environment, ref.revision, ref.build);
    } catch (error) {
      throw new Error(`Could not read the dependency files of build ${ref.build}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  private async setLanguage(document: vscode.TextDocument): Promise<void> {
    if (document.uri.scheme !== DEPENDENCY_FILE_SCHEME) {
      return;
    }
    const fileName = document.uri.path.split('/').pop() ?? '';
    const wanted = LANGUAGES[fileName];
    if (!wanted || document.languageId === wanted[0]) {
      return;
    }
    const available = await vscode.languages.getLanguages();
    const language = wanted.find((id) => available.includes(id));
    if (language && language !== document.languageId) {
      await vscode.languages.setTextDocumentLanguage(document, language);
    }
  }
}
