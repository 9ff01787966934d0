// Just enough of the `vscode` module for the tree's real code (EnvironmentsProvider and its node classes) to run in
// plain Node, so that a benchmark counts the requests of the real loaders rather than of a copy of them. Rows are
// never rendered: getTreeItem() is not called, only getChildren().
import Module from 'node:module';

class EventEmitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Plain {
  constructor(...args: unknown[]) {
    Object.assign(this, { args });
  }
}

const stub = {
  EventEmitter,
  TreeItem: Plain,
  ThemeIcon: Plain,
  ThemeColor: Plain,
  MarkdownString: Plain,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  Disposable: {
    from: (...items: { dispose(): void }[]) => ({ dispose: () => items.forEach((item) => item.dispose()) }),
  },
  commands: { executeCommand: async () => undefined },
  l10n: {
    t: (message: string, ...args: unknown[]) =>
      message.replace(/\{(\d+)\}/g, (_, index) => String(args[Number(index)])),
  },
};

/** Makes `require('vscode')` return the stub in this process. */
export function installVscodeStub(): void {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function load(request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : original.call(this, request, ...rest);
  };
}

/** A Memento that keeps nothing. */
export const memoryState = {
  keys: () => [] as string[],
  get: <T>(_key: string, fallback?: T) => fallback,
  update: async () => undefined,
};
