// The bench folder of bench:pack and bench:deploy, generated deterministically: a requirements.txt, 5,000 source-like
// files (about 38 MB, deflating to about a third) and 4 incompressible files making up the rest of `sizeMb`.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MB = 1024 * 1024;
export const SMALL_FILES = 5000;

/** Writes the folder; returns a line describing it. */
export async function generate(folder: string, sizeMb: number): Promise<string> {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const words = [
    'import',
    'numpy',
    'as',
    'np',
    'def',
    'return',
    'self',
    'model',
    'data',
    'for',
    'in',
    'range',
    'if',
    'else',
    'None',
    'print',
    'value',
    'result',
    'class',
    'with',
    'open',
    'path',
    'config',
    'request',
    'response',
    'tensor',
    'batch',
    'input',
  ];
  let small = 0;
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'requirements.txt'), 'numpy==1.26.4\npandas>=2.0\n');
  for (let i = 0; i < SMALL_FILES; i++) {
    const dir = path.join(folder, `pkg${i % 50}`, `sub${i % 7}`);
    if (i < 350) await mkdir(dir, { recursive: true });
    const lines: string[] = [];
    const target = 400 + Math.floor(random() * random() * 16000);
    for (let size = 0; size < target;) {
      const indent = '    '.repeat(Math.floor(random() * 3));
      const line =
        indent +
        Array.from({ length: 3 + Math.floor(random() * 8) }, () =>
          random() < 0.15 ? String(Math.floor(random() * 100000)) : words[Math.floor(random() * words.length)],
        ).join(' ');
      lines.push(line);
      size += line.length + 1;
    }
    const text = `${lines.join('\n')}\n`;
    small += text.length;
    await writeFile(path.join(dir, `module_${i}.py`), text);
  }
  const large = Math.max(0, sizeMb * MB - small);
  const chunk = Buffer.alloc(4 * MB);
  for (let f = 0; f < 4; f++) {
    const out = createWriteStream(path.join(folder, `weights_${f}.bin`));
    for (let left = Math.floor(large / 4); left > 0; left -= chunk.length) {
      for (let k = 0; k < chunk.length; k += 4) chunk.writeUInt32LE((seed = (seed * 1664525 + 1013904223) >>> 0), k);
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      if (!out.write(Buffer.from(piece))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve(undefined))),
    );
  }
  return `${SMALL_FILES} small files (${(small / MB).toFixed(1)} MB) + 4 incompressible (${(large / MB).toFixed(1)} MB) = ${((small + large) / MB).toFixed(1)} MB`;
}
