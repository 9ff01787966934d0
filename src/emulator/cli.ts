/**
 * `npm run emulator` / `node dist/emulator.js`: the emulator as a command. Bad flags and unusable ports end the
 * process with a message and a non-zero code rather than a stack trace.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, DEFAULT_TOKEN, type Emulator, type EmulatorOptions, LOG_DELAY_SECONDS } from './options';
import { start } from './server';

const USAGE = `Usage: node dist/emulator.js [options]

Serves the UbiOps API v2.1 environment endpoints locally.

Options:
  --port N            port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host ADDR         address to bind (default 127.0.0.1)
  --token T           accepted API token; repeat for several (default ${DEFAULT_TOKEN})
  --data-dir DIR      keep state and uploaded files in DIR across restarts (default: in memory)
  --build-seconds N   how long a build takes (default 5; 0 finishes builds at once)
  --log-delay-seconds N  serve a build's log lines N seconds after their time, as UbiOps delivers them late
                      (default ${LOG_DELAY_SECONDS}; 0 serves a finished build's whole log at once)
  --no-seed           start without the demo projects and base environments
  --user EMAIL        the signed-in user's email: GET /user and created_by of uploads (default you@example.com)
  --user-name NAME    name of GET /user (default Demo)
  --user-surname NAME surname of GET /user (default User)
  --max-upload-bytes N  largest accepted upload (default 2 GiB)
  --rate-limit N      answer 429 past N requests per client per minute
  --latency-ms N      delay every answer by N milliseconds
  --bandwidth-mbps N  limit uploads and downloads each to N megabits a second per connection
  --error-rate F      answer this share (0-1) of requests with 500 or 503
  --drop-rate F       close this share (0-1) of connections without an answer
  --quiet             do not log requests
  -h, --help          show this help
`;

class UsageError extends Error {}

function number(
  value: string | undefined,
  flag: string,
  check: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    n >= check.min &&
    (check.max === undefined || n <= check.max) &&
    (!check.integer || Number.isInteger(n));
  if (!ok) {
    const range = check.max === undefined ? `at least ${check.min}` : `between ${check.min} and ${check.max}`;
    throw new UsageError(`${flag} expects ${check.integer ? 'an integer' : 'a number'} ${range}, not "${value}".`);
  }
  return n;
}

function parseCommandLine(argv: string[]): (EmulatorOptions & { quiet: boolean }) | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        'build-seconds': { type: 'string' },
        'log-delay-seconds': { type: 'string' },
        'no-seed': { type: 'boolean' },
        user: { type: 'string' },
        'user-name': { type: 'string' },
        'user-surname': { type: 'string' },
        'max-upload-bytes': { type: 'string' },
        'rate-limit': { type: 'string' },
        'latency-ms': { type: 'string' },
        'bandwidth-mbps': { type: 'string' },
        'error-rate': { type: 'string' },
        'drop-rate': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    return 'help';
  }
  const tokens = values.token ?? [DEFAULT_TOKEN];
  if (tokens.some((t) => t.trim() === '' || /\s/.test(t))) {
    throw new UsageError('--token expects a token without spaces (give the bare token, without "Token ").');
  }
  if (values.host !== undefined && values.host.trim() === '') {
    throw new UsageError('--host expects an address, e.g. 127.0.0.1.');
  }
  if (values['data-dir'] !== undefined && values['data-dir'].trim() === '') {
    throw new UsageError('--data-dir expects a folder.');
  }
  return {
    port: number(values.port, '--port', { min: 0, max: 65535, integer: true }) ?? DEFAULT_PORT,
    host: values.host ?? '127.0.0.1',
    tokens,
    dataDir: values['data-dir'],
    buildSeconds: number(values['build-seconds'], '--build-seconds', { min: 0 }),
    logDelaySeconds:
      number(values['log-delay-seconds'], '--log-delay-seconds', { min: 0, max: 600 }) ?? LOG_DELAY_SECONDS,
    seed: !values['no-seed'],
    user: values.user,
    userName: values['user-name'],
    userSurname: values['user-surname'],
    maxUploadBytes: number(values['max-upload-bytes'], '--max-upload-bytes', { min: 1, integer: true }),
    faults: {
      rateLimitPerMinute: number(values['rate-limit'], '--rate-limit', { min: 0, integer: true }),
      latencyMs: number(values['latency-ms'], '--latency-ms', { min: 0 }),
      bandwidthMbps: number(values['bandwidth-mbps'], '--bandwidth-mbps', { min: 0 }),
      errorRate: number(values['error-rate'], '--error-rate', { min: 0, max: 1 }),
      dropRate: number(values['drop-rate'], '--drop-rate', { min: 0, max: 1 }),
    },
    quiet: values.quiet ?? false,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function listenFailure(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `Port ${port} is already in use on ${host}. Pick another with --port (0 picks a free one).`;
    case 'EACCES':
      return `Not allowed to listen on ${host}:${port}. Ports below 1024 need privileges; pick another with --port.`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `Cannot bind to ${host}: no such local address. Use --host 127.0.0.1 or an address of this machine.`;
    default:
      return `Cannot start the emulator: ${err.message}`;
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`ubiops emulator: ${(err as Error).message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { quiet, ...options } = parsed;
  const host = options.host as string;
  const tokens = options.tokens as string[];
  if (!isLoopback(host) && tokens.length === 1 && tokens[0] === DEFAULT_TOKEN) {
    process.stderr.write(
      `Warning: binding to ${host} with the default token "${DEFAULT_TOKEN}": anyone who can reach this address ` +
        'can use the emulator. Pass --token with a secret of your own.\n',
    );
  }
  let emulator: Emulator;
  try {
    emulator = await start({ ...options, log: quiet ? undefined : (line) => process.stdout.write(`${line}\n`) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`ubiops emulator: ${e.code ? listenFailure(e, host, options.port as number) : e.message}\n`);
    return 1;
  }
  process.stdout.write(`UbiOps emulator serving ${emulator.url}\n`);
  process.stdout.write(
    `Accepted token${tokens.length > 1 ? 's' : ''}: ${tokens.join(', ')} (send "Authorization: Token <token>")\n`,
  );
  if (tokens.includes(DEFAULT_TOKEN)) {
    process.stdout.write(
      `Note: "${DEFAULT_TOKEN}" is the well-known default token: any program on this machine can use it. ` +
        'Pass --token with a secret of your own to keep the emulator to yourself.\n',
    );
  }
  process.stdout.write(
    options.dataDir ? `Data kept in ${options.dataDir}\n` : 'Data kept in memory until the emulator stops\n',
  );
  process.stdout.write('Press Ctrl+C to stop.\n');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        // A second Ctrl+C means now.
        resolve(130);
        return;
      }
      stopping = true;
      process.stdout.write(`Received ${signal}, stopping.\n`);
      emulator.close().then(
        () => {
          process.stdout.write('Emulator stopped.\n');
          resolve(0);
        },
        (err: Error) => {
          process.stderr.write(`ubiops emulator: error while stopping: ${err.message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`ubiops emulator: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
