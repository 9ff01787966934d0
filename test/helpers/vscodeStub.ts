// Just enough of the `vscode` module for the tree's real code (EnvironmentsProvider, its node classes, the palette's
// walk in src/commands/pickNode.ts) to run in plain Node, so that a benchmark or a unit test counts the requests of
// the real loaders rather than of a copy of them. The prompts are `window`'s, which a test replaces.
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

class MarkdownString {
  isTrusted = false;
  supportHtml = false;
  constructor(public value = '') {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
}

class TreeItem {
  constructor(
    public label: string,
    public collapsibleState: number,
  ) {}
}

class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  constructor(
    public id: string,
    public color?: unknown,
  ) {}
}

/**
 * A QuickPick whose user is a script: `user` is called once the pick is shown and answers as a person would, with
 * `pressEnter`, `pressButton` or `hide`. It may be called again after a button (`again`), once the pick is idle.
 */
export class QuickPick<T extends { label: string; description?: string }> {
  title: string | undefined;
  placeholder: string | undefined;
  items: readonly T[] = [];
  activeItems: readonly T[] = [];
  selectedItems: readonly T[] = [];
  buttons: readonly unknown[] = [];
  busy = false;
  matchOnDescription = false;
  ignoreFocusOut = false;
  disposed = false;
  private readonly accepted = new EventEmitter<void>();
  private readonly hidden = new EventEmitter<void>();
  private readonly pressed = new EventEmitter<unknown>();
  readonly onDidAccept = this.accepted.event;
  readonly onDidHide = this.hidden.event;
  readonly onDidTriggerButton = this.pressed.event;

  constructor(private readonly user: (pick: QuickPick<T>) => void | Promise<void>) {}

  show(): void {
    setTimeout(() => void this.user(this), 0);
  }

  pressEnter(item: T): void {
    this.activeItems = [item];
    this.selectedItems = [item];
    this.accepted.fire();
  }

  pressButton(button: unknown): void {
    this.pressed.fire(button);
  }

  /** Resolves once the pick is no longer busy (after a Refresh). */
  async idle(): Promise<void> {
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  hide(): void {
    this.hidden.fire();
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.hide();
    }
  }
}

/** The prompts: a test assigns the ones it answers. */
export const window: Record<string, (...args: never[]) => unknown> = {
  withProgress: (_options: unknown, task: () => unknown) => task(),
};

const stub = {
  EventEmitter,
  TreeItem,
  ThemeIcon,
  ThemeColor: Plain,
  MarkdownString,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  QuickInputButtons: { Back: { iconPath: new ThemeIcon('arrow-left') } },
  Disposable: {
    from: (...items: { dispose(): void }[]) => ({ dispose: () => items.forEach((item) => item.dispose()) }),
  },
  commands: { executeCommand: async () => undefined },
  window,
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
