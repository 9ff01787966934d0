import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

// Finds user-visible strings in the UI code that do not go through vscode.l10n.t (test/unit/l10n.test.ts).

export const root = path.resolve(__dirname, '../..');
/** The core libraries never import vscode: their messages are the server's or the packer's, not the UI's. */
const CORE = ['src/api/', 'src/archive/', 'src/emulator/'];
/** The "UbiOps" log (Output view) is for diagnosing, in English as VS Code's own logs are. */
const NOT_UI = ['src/log.ts'];

/** Object properties whose string the user reads: prompts, pick items, progress, dialogs, messages' details. */
const VISIBLE_PROPERTIES = new Set([
  'title',
  'placeHolder',
  'prompt',
  'label',
  'description',
  'detail',
  'tooltip',
  'message',
  'openLabel',
  'saveLabel',
  'validationMessage',
]);
/** Properties whose assignment changes what the user reads (status-bar items, tree items, views, quick picks). */
const VISIBLE_ASSIGNMENTS = new Set([
  'text',
  'tooltip',
  'description',
  'label',
  'title',
  'placeholder',
  'message',
  'detail',
  'name',
]);
const MESSAGE_CALLS = /^(show(Information|Warning|Error)Message|appendMarkdown|setStatusBarMessage)$/;

export interface HardCoded {
  file: string;
  line: number;
  where: string;
  text: string;
  node: ts.Expression;
}

/** Text a user would read: letters left once codicons (`$(name)`) are taken out. */
export function hasWords(text: string): boolean {
  return /\p{L}{2,}/u.test(text.replace(/\$\([\w~-]+\)/g, ''));
}

/** Words a user reads, not an id or a key: a capitalised word, or words with spaces between them. */
function isPhrase(text: string): boolean {
  const words = text.replace(/\$\([\w~-]+\)/g, '').trim();
  if (words === 'UbiOps') return false; // the product's name, as a diagnostic's source
  return /^\p{Lu}\p{Ll}/u.test(words) || /\p{L}{2,}\s+\p{L}/u.test(words);
}

/** The literal text of a string, a template's fixed parts, or undefined when `node` is not a literal. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
  return undefined;
}

/** The literals `node` may evaluate to directly: itself, both branches of a ?:, both sides of a + or ??. */
function literalsOf(node: ts.Expression): ts.Expression[] {
  if (ts.isParenthesizedExpression(node)) return literalsOf(node.expression);
  // inert(…) (src/ui/text.ts) makes outside text inert; what it wraps must still be translated.
  if (
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'inert' &&
    node.arguments[0]
  ) {
    return literalsOf(node.arguments[0]);
  }
  if (ts.isConditionalExpression(node)) return [...literalsOf(node.whenTrue), ...literalsOf(node.whenFalse)];
  if (
    ts.isBinaryExpression(node) &&
    [ts.SyntaxKind.PlusToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(
      node.operatorToken.kind,
    )
  ) {
    return [...literalsOf(node.left), ...literalsOf(node.right)];
  }
  // What a template puts in its gaps is shown too: `${failed ? 'Why it failed' : 'Message'}`.
  const inGaps = ts.isTemplateExpression(node) ? node.templateSpans.flatMap((span) => literalsOf(span.expression)) : [];
  return literalText(node) !== undefined ? [node, ...inGaps] : [];
}

/** The user-visible strings of one source file that are literals, not `vscode.l10n.t(...)`. */
export function hardCodedStrings(file: string, source: string): HardCoded[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: HardCoded[] = [];
  const report = (value: ts.Expression | undefined, where: string, sentencesOnly = false) => {
    if (!value) return;
    for (const literal of literalsOf(value)) {
      const text = literalText(literal)!;
      if (hasWords(text) && (!sentencesOnly || isPhrase(text))) {
        found.push({
          file,
          line: sf.getLineAndCharacterOfPosition(literal.getStart()).line + 1,
          where,
          text,
          node: literal,
        });
      }
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isIdentifier(callee)
          ? callee.text
          : '';
      if (MESSAGE_CALLS.test(name)) {
        node.arguments.forEach((argument, i) => report(argument, i === 0 ? `${name} message` : `${name} button`));
      }
    } else if (ts.isNewExpression(node)) {
      const callee = node.expression.getText(sf);
      if (/(^|\.)(TreeItem|QuickInputButton|UserError)$/.test(callee)) report(node.arguments?.[0], `new ${callee}`);
    } else if (ts.isPropertyAssignment(node) && VISIBLE_PROPERTIES.has(node.name.getText(sf))) {
      report(node.initializer, `${node.name.getText(sf)}:`);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      VISIBLE_ASSIGNMENTS.has(node.left.name.text)
    ) {
      report(node.right, `.${node.left.name.text} =`);
    } else if (ts.isVariableDeclaration(node) && node.initializer) {
      // A phrase kept in a variable to be shown later (a title reused by several prompts, a sentence appended).
      report(node.initializer, `${node.name.getText(sf)} =`, true);
    } else if (ts.isReturnStatement(node) && node.expression) {
      // Functions that word a label, a description or a sentence for the UI (ids and keys are not phrases).
      report(node.expression, 'return', true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The UI code: every .ts file under src/ outside the core libraries. */
export function uiSources(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      const relative = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts') && ![...CORE, ...NOT_UI].some((core) => relative.startsWith(core)))
        files.push(relative);
    }
  };
  walk('src');
  return files.sort();
}
