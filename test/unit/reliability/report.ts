import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** test-results/reliability/ (ignored by git): where the reliability suites leave their tables. */
export const REPORT_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'reliability');

export async function writeReport(name: string, text: string): Promise<void> {
  await fs.mkdir(REPORT_DIR, { recursive: true });
  await fs.writeFile(path.join(REPORT_DIR, name), text);
}
