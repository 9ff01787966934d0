// What the benchmarks share: the emulator in a process of its own, a peak-memory probe, command-line arguments.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Peak RSS above the RSS at the call of start(), from /proc (Linux). */
export function memoryProbe(): { start(): void; peakAboveMB(): number } {
  const field = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  let baseline = 0;
  return {
    start() {
      writeFileSync('/proc/self/clear_refs', '5');
      baseline = field('VmRSS');
    },
    peakAboveMB: () => field('VmHWM') - baseline,
  };
}

/** The emulator's command line in a process of its own (tsx: no build needed); builds take an hour, so no build reads a zip during a run. */
export async function startEmulator(
  dataDir: string,
  token: string,
  extra: string[] = [],
): Promise<{ url: string; cpuSeconds(): number; close(): Promise<void> }> {
  const cli = path.join(__dirname, '..', 'src', 'emulator', 'cli.ts');
  const emulator = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      '--port',
      '0',
      '--token',
      token,
      '--build-seconds',
      '3600',
      '--data-dir',
      dataDir,
      '--quiet',
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    emulator.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /UbiOps emulator serving (\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code}): ${output}`)));
  });
  return {
    url,
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${emulator.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
    },
    close: () =>
      new Promise<void>((resolve) => {
        emulator.once('exit', () => resolve());
        emulator.kill('SIGTERM');
      }),
  };
}

/** The value after `name` on the command line (`--size-mb 1024`), or undefined. */
export function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `1.20/1.35/1.90`: the least, the median and the most of `values`. */
export function minMedianMax(values: number[], digits = 2): string {
  return [Math.min(...values), median(values), Math.max(...values)].map((value) => value.toFixed(digits)).join('/');
}

/** curl's arguments for UbiOps' way of uploading a revision: the zip as the multipart field `file`, the token header. */
export function curlUploadArguments(zip: string, token: string, revisionsUrl: string): string[] {
  return [
    '-o',
    '/dev/null',
    '-F',
    `file=@${zip};type=application/zip`,
    '-H',
    `Authorization: Token ${token}`,
    revisionsUrl,
  ];
}
