import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { withTempDir } from '../helpers/tempDir';

// A cycle of value imports in src makes the order modules load in matter: a class or constant used at load time
// can be undefined, and esbuild's bundle order with it. Type-only imports vanish at compile time and do not count.
const root = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/** The files of src that `file` imports or re-exports values from. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const targets: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause?.isTypeOnly ||
        (clause !== undefined &&
          clause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((element) => element.isTypeOnly));
      specifier = onlyTypes ? undefined : statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
      specifier = statement.moduleSpecifier;
    }
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      const base = path.join(path.dirname(file), specifier.text.replace(/\.js$/, ''));
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (target) targets.push(target);
    }
  }
  return targets;
}

/** Every cycle found by a depth-first walk, as the chain of files that closes it. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((file) => [file, valueImports(file)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        found.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(root, f)));
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  files.forEach((file) => state.has(file) || visit(file));
  return found;
}

describe('imports in src', () => {
  it('form no cycle (type-only imports aside)', () => {
    const found = cycles(sourceFiles(path.join(root, 'src')));
    assert.deepEqual(found, [], found.map((chain) => chain.join(' → ')).join('\n'));
  });

  it('the check finds a cycle where there is one, and not through type-only imports', async () => {
    await withTempDir('ubiops-cycle-', async (dir) => {
      await writeFile(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b;\n");
      await writeFile(path.join(dir, 'b.ts'), "import { c } from './c.js';\nexport const b = c;\n");
      await writeFile(path.join(dir, 'c.ts'), "export { a as c } from './a';\n");
      await writeFile(path.join(dir, 'd.ts'), "import type { e } from './e';\nexport const d = 1 as unknown as e;\n");
      await writeFile(path.join(dir, 'e.ts'), "import { type d } from './d';\nexport type e = typeof d;\n");
      const found = cycles(sourceFiles(dir)).map((chain) => chain.map((file) => path.basename(file)));
      assert.deepEqual(found, [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    });
  });
});
