import * as vscode from 'vscode';
import { inert } from '../ui/text';

/**
 * A modal question with one button; true when that button was chosen. The button's label is compared as shown
 * (translated), never with its English text, so the answer does not depend on VS Code's display language.
 */
export async function confirmModal(question: string, button: string, detail?: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(inert(question), { modal: true, detail }, button);
  return choice === button;
}

/** Asks before acting on more than one item (a multi-selection in the tree); one item goes ahead unasked. */
export async function confirmMany(count: number, question: string, button: string): Promise<boolean> {
  return count <= 1 || confirmModal(question, button);
}
