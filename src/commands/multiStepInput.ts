import * as vscode from 'vscode';
import { inert } from '../ui/text';
import type { InputCheck } from './inputChecks';

/**
 * A flow of inputs that reads as one: each step shows the flow's title with its step count ("2/5"), the steps after
 * the first have the Back button, going Back shows the earlier step with the value given there, and Escape (or
 * clicking away without `ignoreFocusOut`) ends the whole flow with nothing done. Steps are data: what a step asks,
 * how its value is checked, and where it is kept in the flow's state, so one step can serve several flows.
 * Learned from vscode-extension-samples' quickinput-sample; written for these flows.
 */

/** A step asking for text. Its value is checked as the user types and again when they press Enter. */
export interface InputStep<S> {
  kind: 'input';
  /** The flow's title is followed by this: "name", "description". */
  title: string;
  prompt?: string;
  placeholder?: string;
  /** The text shown: what was entered on an earlier visit, else a default. */
  value(state: S): string;
  /** A blocking check keeps the step open; a warning is shown and lets the value through (the server decides). */
  check?(value: string, state: S): InputCheck | undefined;
  save(state: S, value: string): void;
}

/** One item of a pick step, carrying the value it stands for. */
export type Choice<V> = vscode.QuickPickItem & { value: V };

/** A step picking one item. */
export interface PickStep<S, V> {
  kind: 'pick';
  title: string;
  placeholder?: string;
  items(state: S): readonly Choice<V>[];
  /** The value picked on an earlier visit: its item is the active one when the step shows again. */
  picked?(state: S): V | undefined;
  save(state: S, value: V): void;
}

export type Step<S> = InputStep<S> | PickStep<S, unknown>;

/** How a step ended. */
type Outcome = 'next' | 'back' | 'cancel';

interface Frame {
  /** The flow's title and the step's, as the title bar shows them. */
  title: string;
  step: number;
  totalSteps: number;
}

/** An input check as VS Code shows it: a warning lets the value through, only a blocking check refuses it. */
export function validation(check: InputCheck | undefined): vscode.InputBoxValidationMessage | undefined {
  return (
    check && {
      message: check.message,
      severity: check.blocking ? vscode.InputBoxValidationSeverity.Error : vscode.InputBoxValidationSeverity.Warning,
    }
  );
}

/**
 * Runs `steps` in order on `state` (which keeps each step's value, so Back shows it again). Resolves to the state
 * once the last step is accepted, or to undefined if the user cancelled at any step.
 */
export async function runSteps<S>(title: string, steps: readonly Step<S>[], state: S): Promise<S | undefined> {
  let index = 0;
  while (index < steps.length) {
    const step = steps[index];
    const frame = { title: inert(`${title}: ${step.title}`), step: index + 1, totalSteps: steps.length };
    const outcome = step.kind === 'input' ? await showInput(step, frame, state) : await showPick(step, frame, state);
    if (outcome === 'cancel') {
      return undefined;
    }
    index += outcome === 'back' ? -1 : 1;
  }
  return state;
}

function showInput<S>(step: InputStep<S>, frame: Frame, state: S): Promise<Outcome> {
  const box = vscode.window.createInputBox();
  box.prompt = step.prompt;
  box.placeholder = step.placeholder;
  box.value = step.value(state);
  const validate = (value: string): InputCheck | undefined => {
    const check = step.check?.(value, state);
    box.validationMessage = validation(check);
    return check;
  };
  if (box.value) {
    // A value kept from an earlier visit, or one to edit, says at once what is wrong with it.
    validate(box.value);
  }
  return settle(box, frame, (done) => [
    box.onDidChangeValue(validate),
    box.onDidAccept(() => {
      const value = box.value;
      if (!validate(value)?.blocking) {
        step.save(state, value);
        done('next');
      }
    }),
  ]);
}

function showPick<S>(step: PickStep<S, unknown>, frame: Frame, state: S): Promise<Outcome> {
  const pick = vscode.window.createQuickPick<Choice<unknown>>();
  pick.placeholder = step.placeholder;
  pick.matchOnDescription = true;
  pick.items = step.items(state);
  const earlier = step.picked?.(state);
  const active = earlier === undefined ? undefined : pick.items.find((item) => item.value === earlier);
  if (active) {
    pick.activeItems = [active];
  }
  return settle(pick, frame, (done) => [
    pick.onDidAccept(() => {
      const [item] = pick.activeItems;
      if (item) {
        step.save(state, item.value);
        done('next');
      }
    }),
  ]);
}

/** Shows `input` as step `frame` and resolves once it is accepted (as `listen` decides), left by Back, or hidden. */
function settle(
  input: vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>,
  frame: Frame,
  listen: (done: (outcome: Outcome) => void) => vscode.Disposable[],
): Promise<Outcome> {
  input.title = frame.title;
  input.step = frame.step;
  input.totalSteps = frame.totalSteps;
  input.ignoreFocusOut = true;
  input.buttons = frame.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  return new Promise((resolve) => {
    const listeners: vscode.Disposable[] = [];
    const done = (outcome: Outcome) => {
      // The listeners go first: hiding the input on dispose must not count as a cancellation.
      for (const listener of listeners) listener.dispose();
      input.dispose();
      resolve(outcome);
    };
    listeners.push(
      ...listen(done),
      input.onDidTriggerButton((button) => button === vscode.QuickInputButtons.Back && done('back')),
      input.onDidHide(() => done('cancel')),
    );
    input.show();
  });
}
