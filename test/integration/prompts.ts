import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { quickInputStubs } from './quickInputs';

/** One scripted answer to a prompt. */
export type Answer =
  | { input: string }
  | { pick: string | RegExp }
  | { button: string | undefined }
  | { open: vscode.Uri[] | undefined }
  | { save: vscode.Uri | undefined }
  /** The Back button of the step shown (a multi-step input's), and Escape: see ./quickInputs.ts. */
  | { back: true }
  /** Another button of the quick input shown, by its tooltip ("Refresh"); the next answer goes to the same input. */
  | { trigger: string }
  | { escape: true };

export interface Transcript {
  /** Every message shown (information, warning, error), in order. */
  messages: { kind: 'info' | 'warning' | 'error'; text: string; detail?: string; buttons: string[] }[];
  /** The titles or prompts of every input box and quick pick shown, in order. */
  prompts: string[];
  /** What each step of a multi-step input opened with: an input box's text, a quick pick's active item. */
  shown: string[];
  /** What `validateInput` said about each scripted input. */
  validations: (string | undefined)[];
  /** Whether each of those blocked the input ('error') or let it through ('warning'). */
  severities: ('error' | 'warning' | undefined)[];
  /** Every item offered by the quick picks, as label, description and detail. */
  offered: string[];
}

/**
 * Runs `body` with `vscode.window`'s prompts answered from `answers`, in order, and records what the user would
 * have seen. A prompt with no answer left fails the test; so does an answer left unused.
 */
export async function withAnswers<T>(
  answers: Answer[],
  body: (transcript: Transcript) => Thenable<T> | Promise<T>,
): Promise<{ result: T; transcript: Transcript }> {
  const queue = [...answers];
  const transcript: Transcript = {
    messages: [],
    prompts: [],
    shown: [],
    validations: [],
    severities: [],
    offered: [],
  };
  const failures: unknown[] = [];
  const next = <K extends string>(key: K, what: string) => {
    const answer = queue.shift();
    assert.ok(answer && key in answer, `expected an answer for ${what}, had ${JSON.stringify(answer)}`);
    return (answer as Record<K, unknown>)[key];
  };
  const message =
    (kind: 'info' | 'warning' | 'error') =>
    async (text: string, ...rest: unknown[]) => {
      const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as vscode.MessageOptions) : undefined;
      const buttons = rest.filter((item): item is string => typeof item === 'string');
      transcript.messages.push({ kind, text, detail: options?.detail, buttons });
      // Only modal questions and questions we scripted get an answer; plain notifications are dismissed.
      if (queue[0] && 'button' in queue[0] && (options?.modal || buttons.length)) {
        const button = next('button', `the message "${text}"`) as string | undefined;
        assert.ok(button === undefined || buttons.includes(button), `"${button}" is one of ${buttons.join(', ')}`);
        return button;
      }
      return undefined;
    };
  const stubs: Record<string, unknown> = {
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    showInputBox: async (options?: vscode.InputBoxOptions) => {
      transcript.prompts.push(options?.title ?? options?.prompt ?? 'input');
      const value = next('input', `the input box "${options?.title}"`) as string;
      const validation = await options?.validateInput?.(value);
      const text = typeof validation === 'string' ? validation : validation?.message;
      transcript.validations.push(text || undefined);
      // As VS Code does: a message blocks the input unless it is a warning or information.
      const blocks = typeof validation === 'string' || validation?.severity === vscode.InputBoxValidationSeverity.Error;
      transcript.severities.push(text ? (blocks ? 'error' : 'warning') : undefined);
      return text && blocks ? undefined : value;
    },
    showQuickPick: async (
      items: readonly (string | vscode.QuickPickItem)[] | Thenable<readonly (string | vscode.QuickPickItem)[]>,
      options?: vscode.QuickPickOptions,
    ) => {
      transcript.prompts.push(options?.title ?? options?.placeHolder ?? 'pick');
      const wanted = next('pick', `the quick pick "${options?.title}"`) as string | RegExp;
      const list = await items;
      transcript.offered.push(
        ...list.map((item) =>
          typeof item === 'string' ? item : [item.label, item.description, item.detail].filter(Boolean).join(' | '),
        ),
      );
      const label = (item: string | vscode.QuickPickItem) =>
        typeof item === 'string' ? item : `${item.label} ${item.description ?? ''}`;
      const found = list.find((item) =>
        typeof wanted === 'string' ? label(item).includes(wanted) : wanted.test(label(item)),
      );
      assert.ok(found, `"${wanted}" is offered in "${options?.title}": ${list.map(label).join(' | ')}`);
      return found;
    },
    showOpenDialog: async () => next('open', 'an open dialog'),
    showSaveDialog: async () => next('save', 'a save dialog'),
    ...quickInputStubs(queue, transcript, (error) => failures.push(error)),
  };
  return withWindow(stubs as WindowStubs, async () => {
    const result = await body(transcript);
    if (failures.length) {
      throw failures[0];
    }
    assert.deepEqual(queue, [], 'every scripted answer was used');
    return { result, transcript };
  });
}

export type WindowStubs = Partial<
  Pick<
    typeof vscode.window,
    | 'showInputBox'
    | 'showQuickPick'
    | 'showErrorMessage'
    | 'showInformationMessage'
    | 'showWarningMessage'
    | 'showOpenDialog'
    | 'showSaveDialog'
    | 'createQuickPick'
    | 'createInputBox'
  >
>;

/** Replaces some `vscode.window` functions for the duration of `body`, and puts them back after. */
export async function withWindow<T>(stubs: WindowStubs, body: () => Thenable<T> | Promise<T>): Promise<T> {
  const window = vscode.window as unknown as Record<string, unknown>;
  const saved = Object.fromEntries(Object.keys(stubs).map((key) => [key, window[key]]));
  Object.assign(window, stubs);
  try {
    return await body();
  } finally {
    Object.assign(window, saved);
  }
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
