/**
 * Lifecycle for the core (no `vscode` import, so plain Node runs it): a disposable base class that owns its
 * children, and a tiny typed event emitter. The shapes match VS Code's (`{ dispose() }`, `event(listener)`), so a
 * VS Code disposable can be registered as a child and an `Event` here can be listened to like one of VS Code's.
 */

export interface IDisposable {
  dispose(): unknown;
}

/** Something to listen to: call it with a listener, dispose what it returns to stop listening. */
export type Event<T> = (listener: (value: T) => void) => IDisposable;

/**
 * A thing with children that go away with it: `register()` a child (a subscription, an emitter, a timer's
 * clearing) and `dispose()` disposes them all, newest first, once. A child registered after disposal is disposed at
 * once, so nothing registered late can leak.
 */
export class Disposable implements IDisposable {
  private readonly children = new Set<IDisposable>();
  private disposedFlag = false;

  protected get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Adds a child to dispose with this one; returns it. */
  protected register<T extends IDisposable>(child: T): T {
    if (this.disposedFlag) {
      void child.dispose();
    } else {
      this.children.add(child);
    }
    return child;
  }

  dispose(): void {
    if (this.disposedFlag) {
      return;
    }
    this.disposedFlag = true;
    const children = [...this.children].reverse();
    this.children.clear();
    for (const child of children) {
      try {
        void child.dispose();
      } catch {
        // One child's failure must not keep the others alive.
      }
    }
  }
}

/** Several disposables as one. */
export function combine(...items: IDisposable[]): IDisposable {
  return { dispose: () => items.forEach((item) => void item.dispose()) };
}

/**
 * A typed event with its listeners. A listener that throws does not stop the others (nor whoever fired). Once
 * disposed it forgets its listeners and fires no more.
 */
export class Emitter<T> implements IDisposable {
  private listeners: Set<(value: T) => void> | undefined = new Set();

  readonly event: Event<T> = (listener) => {
    this.listeners?.add(listener);
    return { dispose: () => this.listeners?.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...(this.listeners ?? [])]) {
      try {
        listener(value);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  dispose(): void {
    this.listeners?.clear();
    this.listeners = undefined;
  }
}
