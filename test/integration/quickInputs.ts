import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Answer, Transcript } from './prompts';

type Input = vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>;

/** The events a user causes, fired by the test instead of the keyboard. */
interface UserEvents {
  accept: vscode.EventEmitter<void>;
  hide: vscode.EventEmitter<void>;
  button: vscode.EventEmitter<vscode.QuickInputButton>;
  value: vscode.EventEmitter<string>;
}

const EVENTS: Record<string, keyof UserEvents> = {
  onDidAccept: 'accept',
  onDidHide: 'hide',
  onDidTriggerButton: 'button',
  onDidChangeValue: 'value',
};

/**
 * `vscode.window.createInputBox` and `createQuickPick` answered from `queue`: the extension gets VS Code's real
 * objects (shown on screen, holding what the extension set), whose user events — Enter, Escape, the Back button,
 * typing — the test fires when the input is shown, as the next answer says:
 * - `{ input }`: types it, records what the step's check says (as `showInputBox`'s stub does), then presses Enter;
 *   if the check blocks, the step stays open and takes the next `{ input }`, or Escape when there is none;
 * - `{ pick }`: makes the matching item active and presses Enter;
 * - `{ back: true }`: presses the Back button, which must be shown; `{ escape: true }`: presses Escape;
 * - `{ trigger }`: presses the button with that tooltip, then answers the same input again once it is not busy.
 * Each input is recorded in `transcript.prompts` as "title (step/totalSteps)", with what it opened with (an input
 * box's text, a quick pick's active item) in `transcript.shown`.
 */
export function quickInputStubs(
  queue: Answer[],
  transcript: Transcript,
  failed: (error: unknown) => void,
): Record<string, unknown> {
  const real = { createInputBox: vscode.window.createInputBox, createQuickPick: vscode.window.createQuickPick };
  const context = { queue, transcript, failed };
  return {
    createInputBox: () => driven(real.createInputBox(), context),
    createQuickPick: () => driven(real.createQuickPick(), context),
  };
}

interface Context {
  queue: Answer[];
  transcript: Transcript;
  /** An answer that does not fit: the flow is ended (Escape) and the test fails with this. */
  failed: (error: unknown) => void;
}

function driven<T extends Input>(input: T, { queue, transcript, failed }: Context): T {
  const events: UserEvents = {
    accept: new vscode.EventEmitter(),
    hide: new vscode.EventEmitter(),
    button: new vscode.EventEmitter(),
    value: new vscode.EventEmitter(),
  };
  const show = () => {
    input.show();
    const step = input.step === undefined ? '' : ` (${input.step}/${input.totalSteps})`;
    transcript.prompts.push(`${input.title ?? ''}${step}`);
    transcript.shown.push('password' in input ? input.value : (input.activeItems[0]?.label ?? ''));
    // Once the extension is waiting (and not busy), as a user's keys would come.
    const act = () => {
      if (input.busy) {
        setTimeout(act, 10);
        return;
      }
      try {
        if (answer(input, events, queue, transcript) === 'again') {
          setTimeout(act, 10);
        }
      } catch (error) {
        failed(error);
        events.hide.fire();
      }
    };
    setTimeout(act, 0);
  };
  return new Proxy(input, {
    get(target, key) {
      if (key === 'show') {
        return show;
      }
      if (typeof key === 'string' && key in EVENTS) {
        return events[EVENTS[key]].event;
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (target, key, value) => Reflect.set(target, key, value, target),
  });
}

/** Gives the input the next answer; 'again' when the same input takes the one after it, once it is not busy. */
function answer(input: Input, events: UserEvents, queue: Answer[], transcript: Transcript): 'again' | undefined {
  const next = queue.shift();
  assert.ok(next, `expected an answer for "${input.title}"`);
  if ('back' in next) {
    assert.ok(input.buttons.includes(vscode.QuickInputButtons.Back), `"${input.title}" shows the Back button`);
    events.button.fire(vscode.QuickInputButtons.Back);
  } else if ('trigger' in next) {
    const button = input.buttons.find((shown) => shown.tooltip === next.trigger);
    assert.ok(button, `"${input.title}" shows the button "${next.trigger}"`);
    events.button.fire(button);
    transcript.prompts.push(`${input.title ?? ''} (after ${next.trigger})`);
    return 'again';
  } else if ('escape' in next) {
    events.hide.fire();
  } else if ('input' in next && 'password' in input) {
    type(input, events, next.input, queue, transcript);
  } else if ('pick' in next && 'items' in input) {
    pick(input, events, next.pick, transcript);
  } else {
    assert.fail(`${JSON.stringify(next)} does not answer "${input.title}"`);
  }
}

function type(input: vscode.InputBox, events: UserEvents, text: string, queue: Answer[], transcript: Transcript) {
  input.value = text;
  events.value.fire(text);
  const shown = input.validationMessage;
  const message = typeof shown === 'string' ? shown : shown?.message;
  const blocks = typeof shown === 'string' || shown?.severity === vscode.InputBoxValidationSeverity.Error;
  transcript.validations.push(message || undefined);
  transcript.severities.push(message ? (blocks ? 'error' : 'warning') : undefined);
  events.accept.fire();
  if (message && blocks) {
    // VS Code keeps the step open: the next answer types again, or Escape ends the flow.
    const retry = queue[0] && 'input' in queue[0] ? queue.shift() : undefined;
    if (retry && 'input' in retry) {
      type(input, events, retry.input, queue, transcript);
    } else {
      events.hide.fire();
    }
  }
}

function pick(
  input: vscode.QuickPick<vscode.QuickPickItem>,
  events: UserEvents,
  wanted: string | RegExp,
  transcript: Transcript,
) {
  const label = (item: vscode.QuickPickItem) => `${item.label} ${item.description ?? ''}`;
  transcript.offered.push(
    ...input.items.map((item) => [item.label, item.description, item.detail].filter(Boolean).join(' | ')),
  );
  const found = input.items.find((item) =>
    typeof wanted === 'string' ? label(item).includes(wanted) : wanted.test(label(item)),
  );
  assert.ok(found, `"${wanted}" is offered in "${input.title}": ${input.items.map(label).join(' | ')}`);
  input.activeItems = [found];
  events.accept.fire();
}
