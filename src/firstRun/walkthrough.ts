import * as vscode from 'vscode';

/** The steps of the "Get Started with UbiOps Environments" walkthrough, in order. */
export const WALKTHROUGH_STEPS = ['connect', 'create', 'upload', 'watch', 'compare'] as const;
export type WalkthroughStep = (typeof WALKTHROUGH_STEPS)[number];

/**
 * Marks walkthrough steps done when the user has done them: each step's `completionEvents` listens to the context
 * key `ubiops.walkthrough.<step>`, which this sets. VS Code remembers completed steps itself.
 */
export class Walkthrough {
  private readonly done = new Set<WalkthroughStep>();

  get completed(): ReadonlySet<WalkthroughStep> {
    return this.done;
  }

  complete(step: WalkthroughStep): void {
    if (this.done.has(step)) {
      return;
    }
    this.done.add(step);
    void vscode.commands.executeCommand('setContext', `ubiops.walkthrough.${step}`, true);
  }
}
